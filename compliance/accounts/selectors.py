"""Reads about accounts, scoped to what the asking user may see."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from compliance.accounts.models import BackupCode, TOTPDevice, UserSession


def has_confirmed_totp(*, user) -> bool:
    """Return whether ``user`` has finished TOTP enrolment."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def unused_backup_code_count(*, user) -> int:
    return BackupCode.objects.filter(device__user=user, used_at__isnull=True).count()


def active_sessions_for_user(*, user) -> QuerySet[UserSession]:
    """Return ``user``'s own signed-in sessions, newest activity first."""
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")


def users_for_admin(*, user, search: str = "") -> QuerySet:
    """Return the accounts an administrator manages (none for anyone else)."""
    User = get_user_model()
    if not user.has_perm("accounts.manage_users"):
        return User.objects.none()
    queryset = User.objects.prefetch_related("groups").order_by("username")
    if search:
        queryset = queryset.filter(username__icontains=search)
    return queryset


def user_for_admin(*, user, pk) -> "get_user_model()":
    """Return one managed account; Http404 whether it is missing or not the caller's to manage."""
    try:
        return users_for_admin(user=user).get(pk=pk)
    except (get_user_model().DoesNotExist, ValueError):
        raise Http404("No such user.") from None
