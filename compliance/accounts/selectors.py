"""Reads about accounts, scoped to what the asking user may see."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from compliance.accounts.models import ApiKey, BackupCode, TOTPDevice, UserSession
from compliance.accounts.roles import MFA_REQUIRED_ROLES


def has_confirmed_totp(*, user) -> bool:
    """Return whether ``user`` has finished TOTP enrolment."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def unused_backup_code_count(*, user) -> int:
    """Return how many of ``user``'s backup codes are still unused."""
    return BackupCode.objects.filter(device__user=user, used_at__isnull=True).count()


def active_sessions_for_user(*, user) -> QuerySet[UserSession]:
    """Return ``user``'s own signed-in sessions, newest activity first.

    Sessions past the idle or absolute limit are left out even before a request
    marks them ended: their cookie no longer signs anyone in.
    """
    now = timezone.now()
    return UserSession.objects.filter(
        user=user,
        ended_at__isnull=True,
        last_seen_at__gte=now - settings.SESSION_IDLE_TIMEOUT,
        created_at__gte=now - settings.SESSION_ABSOLUTE_TIMEOUT,
    ).order_by("-last_seen_at")


def own_session(*, user, pk) -> UserSession:
    """Return one of ``user``'s active sessions; Http404 if missing, ended or someone else's."""
    try:
        return UserSession.objects.get(user=user, ended_at__isnull=True, pk=pk)
    except (UserSession.DoesNotExist, ValueError):
        raise Http404("No such session.") from None


def users_for_admin(*, user, search: str = "") -> QuerySet:
    """Return the accounts an administrator manages (none for anyone else).

    Each row carries ``has_confirmed_totp``; roles come from ``groups.all``,
    prefetched, so a page of any length costs a fixed number of queries.
    """
    User = get_user_model()
    if not user.has_perm("accounts.manage_users"):
        return User.objects.none()
    queryset = (
        User.objects.prefetch_related("groups")
        .annotate(has_confirmed_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .order_by("username")
    )
    if search:
        queryset = queryset.filter(username__icontains=search)
    return queryset


def user_for_admin(*, user, pk) -> "get_user_model()":
    """Return one managed account; Http404 whether it is missing or not the caller's to manage."""
    try:
        return users_for_admin(user=user).get(pk=pk)
    except (get_user_model().DoesNotExist, ValueError):
        raise Http404("No such user.") from None


def can_manage_api_keys(*, user) -> bool:
    """Return whether ``user`` may list, create and revoke API keys (administrators and DPOs)."""
    return user.has_perm("accounts.manage_users") or user.has_perm("accounts.manage_api_keys")


def api_keys_for_user(*, user) -> QuerySet[ApiKey]:
    """Return every API key, newest first, for a user who manages keys (none for anyone else)."""
    if not can_manage_api_keys(user=user):
        return ApiKey.objects.none()
    return ApiKey.objects.select_related("created_by").order_by("-created_at", "-pk")


def api_key_for_user(*, user, pk) -> ApiKey:
    """Return one API key; Http404 whether it is missing or the caller does not manage keys."""
    try:
        return api_keys_for_user(user=user).get(pk=pk)
    except (ApiKey.DoesNotExist, ValueError):
        raise Http404("No such API key.") from None


def second_factor_pending(*, user) -> bool:
    """Return whether signed-in ``user`` must still pass TOTP in this session (MFARequiredMiddleware's rule)."""
    if user.is_verified():
        return False
    return user.requires_mfa or has_confirmed_totp(user=user)


def privileged_users() -> QuerySet:
    """Return the active users who must pass MFA, each once, with ``has_confirmed_totp`` (unordered, unscoped: for the checks).

    Members of a role in MFA_REQUIRED_ROLES, staff and superusers.
    """
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=[str(role) for role in MFA_REQUIRED_ROLES]) | Q(is_staff=True) | Q(is_superuser=True))
        .distinct()
        .annotate(has_confirmed_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
    )


def privileged_users_without_mfa() -> QuerySet:
    """Return the privileged users (see ``privileged_users``) with no confirmed authenticator, by username."""
    return privileged_users().filter(has_confirmed_totp=False).order_by("username", "pk")
