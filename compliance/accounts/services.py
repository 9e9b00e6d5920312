"""Writes about accounts: MFA enrolment and verification, sessions, user management, API keys.

Every function here changes state and records its audit event in the same
transaction. Failed code checks return instead of raising, so that the failure's
audit event and the device's throttling counter are committed, not rolled back.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from compliance.accounts import api_keys, otp, sessions
from compliance.accounts.models import ApiKey, BackupCode, BackupCodeDevice, TOTPDevice, User, UserSession
from compliance.accounts.roles import Role
from compliance.audit.services import record_event

AUDITOR_NEEDS_END_DATE = "Auditor accounts need an access end date."
END_DATE_IN_PAST = "The access end date cannot be in the past."


class AccountActionRefused(Exception):
    """The change is not allowed in the account's current state; the message says why."""


class SecondFactorThrottled(Exception):
    """Too many wrong codes in a row: the device refuses to check codes for a while."""


@dataclass(frozen=True)
class ConfirmedEnrolment:
    """A confirmed authenticator and the backup codes to show its owner once."""

    device: TOTPDevice
    backup_codes: list[str]


# --- Validation shared with the forms -------------------------------------------


def validate_access(*, roles: list[str], access_expires_on: date | None, creating: bool) -> None:
    """Raise ValidationError unless the roles and the access end date fit together.

    Auditors always have an end date. A new account cannot start already ended;
    an existing one may be given a past date, which ends its access now.
    """
    errors = {}
    if Role.AUDITOR in roles and access_expires_on is None:
        errors["access_expires_on"] = AUDITOR_NEEDS_END_DATE
    elif creating and access_expires_on is not None and access_expires_on < timezone.localdate():
        errors["access_expires_on"] = END_DATE_IN_PAST
    if errors:
        raise ValidationError(errors)


# --- TOTP enrolment and verification ---------------------------------------------


def _locked_user(user) -> User:
    # Serialises enrolment steps of one account, so two tabs never create two seeds.
    return get_user_model().objects.select_for_update().get(pk=user.pk)


def _unconfirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()


def _ensure_allowed(device) -> None:
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise SecondFactorThrottled("Too many wrong codes. Wait a minute and try again.")


@transaction.atomic
def begin_totp_enrolment(*, user) -> TOTPDevice:
    """Return the user's pending authenticator, creating one with a new seed if there is none.

    Reloading the enrolment page therefore shows the same secret. Refused when the
    user already has a confirmed authenticator (an administrator resets it first).
    """
    _locked_user(user)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AccountActionRefused("Your authenticator is already set up.")
    device = _unconfirmed_device(user)
    if device is not None:
        return device
    device = TOTPDevice(user=user, name="Authenticator app", confirmed=False)
    device.encrypted_key = otp.new_totp_seed()
    device.save()
    record_event(actor=user, action="mfa.enrolment_started", target=user, data={"device": device.pk})
    return device


@transaction.atomic
def confirm_totp_enrolment(*, user, token: str) -> ConfirmedEnrolment | None:
    """Confirm the pending authenticator with a current code and issue fresh backup codes.

    Return None (after recording ``mfa.failed``) when the code is wrong; raise
    SecondFactorThrottled after too many wrong codes in a row.
    """
    _locked_user(user)
    device = _unconfirmed_device(user)
    if device is None:
        raise AccountActionRefused("There is no authenticator waiting for confirmation. Start the set-up again.")
    _ensure_allowed(device)
    if not otp.verify_totp_device(device, token):
        record_event(actor=user, action="mfa.failed", target=user, data={"method": "totp", "during": "enrolment"})
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = _replace_backup_codes(user)
    record_event(
        actor=user,
        action="mfa.enrolled",
        target=user,
        data={"device": device.pk, "backup_codes_issued": len(codes)},
    )
    return ConfirmedEnrolment(device=device, backup_codes=codes)


def _method_for(token: str) -> str:
    compact = str(token).strip().replace(" ", "")
    return "totp" if compact.isdigit() and len(compact) == 6 else "backup_code"


@transaction.atomic
def verify_second_factor(*, user, token: str):
    """Check a TOTP code or a backup code and return the device that accepted it, or None.

    A TOTP code is accepted once (a replayed code fails) and a backup code is
    spent by its use. Records ``mfa.verified`` or ``mfa.failed``; raises
    SecondFactorThrottled, recording nothing, while the devices refuse checks
    after repeated failures.
    """
    method = _method_for(token)
    model = TOTPDevice if method == "totp" else BackupCodeDevice
    devices = list(model.objects.filter(user=user, confirmed=True).order_by("pk"))
    allowed = [device for device in devices if device.verify_is_allowed()[0]]
    if devices and not allowed:
        raise SecondFactorThrottled("Too many wrong codes. Wait a minute and try again.")
    for device in allowed:
        if device.verify_token(token):
            record_event(actor=user, action="mfa.verified", target=user, data={"method": method})
            return device
    record_event(actor=user, action="mfa.failed", target=user, data={"method": method})
    return None


def _replace_backup_codes(user) -> list[str]:
    device, _ = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = otp.new_backup_codes(settings.MFA_BACKUP_CODE_COUNT)
    BackupCode.objects.bulk_create([BackupCode(device=device, code_hash=otp.hash_backup_code(code)) for code in codes])
    device.throttle_reset(commit=True)
    return [otp.format_backup_code(code) for code in codes]


@transaction.atomic
def regenerate_backup_codes(*, user) -> list[str]:
    """Replace the user's backup codes with new ones and return them (shown once, never stored in clear)."""
    _locked_user(user)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AccountActionRefused("Set up an authenticator app before generating backup codes.")
    codes = _replace_backup_codes(user)
    record_event(actor=user, action="mfa.backup_codes_regenerated", target=user, data={"count": len(codes)})
    return codes


# --- Sessions --------------------------------------------------------------------


def _end_sessions(queryset) -> list[int]:
    ended = []
    for session in queryset.select_for_update():
        sessions.end_session_on_server(session.session_key)
        ended.append(session.pk)
    return ended


@transaction.atomic
def end_session(*, actor, session: UserSession) -> None:
    """End one signed-in session on the server: its cookie no longer signs anyone in."""
    sessions.end_session_on_server(session.session_key)
    record_event(actor=actor, action="auth.session_ended", target=session.user, data={"session": session.pk})


@transaction.atomic
def end_other_sessions(*, user, current_session_key: str | None) -> int:
    """End every session of ``user`` except the current one and return how many ended."""
    others = UserSession.objects.filter(user=user, ended_at__isnull=True).exclude(session_key=current_session_key)
    ended = _end_sessions(others)
    for pk in ended:
        record_event(actor=user, action="auth.session_ended", target=user, data={"session": pk})
    return len(ended)


@transaction.atomic
def record_login_refused(*, user, reason: str) -> None:
    """Record that a correct password was refused, for example after the account's access ended."""
    record_event(actor=None, action="auth.login_refused", target=user, data={"reason": reason})


# --- User management -------------------------------------------------------------


def _groups(roles: list[str]) -> list[Group]:
    return list(Group.objects.filter(name__in=roles))


@transaction.atomic
def create_user(
    *,
    actor,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    roles: list[str],
    access_expires_on: date | None,
    password: str,
) -> User:
    """Create an account with its roles and initial password (already checked by the validators)."""
    validate_access(roles=roles, access_expires_on=access_expires_on, creating=True)
    user = get_user_model()(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        access_expires_on=access_expires_on,
    )
    user.set_password(password)
    user.save()
    user.groups.set(_groups(roles))
    record_event(
        actor=actor,
        action="user.created",
        target=user,
        data={
            "roles": sorted(roles),
            "access_expires_on": access_expires_on.isoformat() if access_expires_on else None,
        },
    )
    return user


@transaction.atomic
def update_user(
    *,
    actor,
    user: User,
    roles: list[str],
    access_expires_on: date | None,
    is_active: bool,
) -> User:
    """Change an account's roles, access end date and active flag, one audit event per kind of change.

    Deactivating an account ends its sessions. Administrators cannot deactivate
    themselves, so an organisation is never left without one by accident.
    """
    if user.pk == actor.pk and not is_active:
        raise AccountActionRefused("You cannot deactivate your own account. Ask another administrator.")
    validate_access(roles=roles, access_expires_on=access_expires_on, creating=False)
    user = get_user_model().objects.select_for_update().get(pk=user.pk)

    current = set(user.groups.values_list("name", flat=True))
    wanted = set(roles)
    if current != wanted:
        user.groups.set(_groups(roles))
        record_event(
            actor=actor,
            action="user.roles_changed",
            target=user,
            data={"added": sorted(wanted - current), "removed": sorted(current - wanted)},
        )

    if user.access_expires_on != access_expires_on:
        record_event(
            actor=actor,
            action="user.access_changed",
            target=user,
            data={
                "from": user.access_expires_on.isoformat() if user.access_expires_on else None,
                "to": access_expires_on.isoformat() if access_expires_on else None,
            },
        )
        user.access_expires_on = access_expires_on

    if user.is_active and not is_active:
        user.is_active = False
        ended = _end_sessions(UserSession.objects.filter(user=user, ended_at__isnull=True))
        record_event(actor=actor, action="user.deactivated", target=user, data={"sessions_ended": len(ended)})
    elif not user.is_active and is_active:
        user.is_active = True
        record_event(actor=actor, action="user.reactivated", target=user)

    user.save(update_fields=["access_expires_on", "is_active"])
    return user


@transaction.atomic
def reset_mfa(*, actor, user: User) -> None:
    """Remove the account's authenticator and backup codes and end its sessions.

    The owner enrols again at the next sign-in. Refused for one's own account: a
    stolen administrator session must not be able to swap its second factor.
    """
    if user.pk == actor.pk:
        raise AccountActionRefused("You cannot reset your own MFA. Ask another administrator.")
    totp_removed, _ = TOTPDevice.objects.filter(user=user).delete()
    backup_devices = BackupCodeDevice.objects.filter(user=user)
    backup_removed = backup_devices.count()
    backup_devices.delete()
    ended = _end_sessions(UserSession.objects.filter(user=user, ended_at__isnull=True))
    record_event(
        actor=actor,
        action="mfa.reset",
        target=user,
        data={
            "authenticators_removed": totp_removed,
            "backup_code_sets_removed": backup_removed,
            "sessions_ended": len(ended),
        },
    )


@transaction.atomic
def change_password(*, user: User, new_password: str, current_session_key: str | None) -> int:
    """Set the user's own new password and end their other sessions; return how many ended.

    The password has already passed the form's checks (current password, Django's
    validators). Other browsers are signed out because a password change is what a
    person does when they fear someone else has it.
    """
    user = _locked_user(user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    others = UserSession.objects.filter(user=user, ended_at__isnull=True).exclude(session_key=current_session_key)
    ended = _end_sessions(others)
    record_event(actor=user, action="auth.password_changed", target=user, data={"sessions_ended": len(ended)})
    return len(ended)


# --- API keys ----------------------------------------------------------------------

API_KEY_NAME_TAKEN = "An active API key is already named “{name}”. Choose another name or revoke that key first."
API_KEY_NAME_REQUIRED = "Give the key a name that says what uses it."
API_KEY_SCOPES_REQUIRED = "Choose at least one scope."
API_KEY_UNKNOWN_SCOPES = "Unknown {noun} {unknown}. Valid scopes: {valid}."
API_KEY_EXPIRY_IN_PAST = "The expiry must be in the future."


def validate_api_key(*, name: str, scopes: list[str], expires_at: datetime | None) -> None:
    """Raise ValidationError (per field) unless a new key with these settings may be created."""
    errors = {}
    if not name.strip():
        errors["name"] = API_KEY_NAME_REQUIRED
    elif ApiKey.objects.filter(name=name.strip(), revoked_at__isnull=True).exists():
        errors["name"] = API_KEY_NAME_TAKEN.format(name=name.strip())
    unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
    if unknown:
        errors["scopes"] = API_KEY_UNKNOWN_SCOPES.format(
            noun="scope" if len(unknown) == 1 else "scopes",
            unknown=", ".join(unknown),
            valid=", ".join(ApiKey.Scope.values),
        )
    elif not scopes:
        errors["scopes"] = API_KEY_SCOPES_REQUIRED
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = API_KEY_EXPIRY_IN_PAST
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_api_key(
    *, actor, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create an API key and return it with its plaintext, which is shown once and never stored.

    ``actor`` is the user creating it, or a SystemActor for the management command
    (the key then has no ``created_by``).
    """
    validate_api_key(name=name, scopes=scopes, expires_at=expires_at)
    plaintext = api_keys.new_key()
    key = ApiKey.objects.create(
        name=name.strip(),
        prefix=api_keys.display_prefix(plaintext),
        key_hash=api_keys.hash_key(plaintext),
        scopes=[scope for scope in ApiKey.Scope.values if scope in scopes],
        created_by=actor if isinstance(actor, User) else None,
        expires_at=expires_at,
    )
    record_event(
        actor=actor,
        action="api_key.created",
        target=key,
        data={
            "name": key.name,
            "prefix": key.prefix,
            "scopes": key.scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return key, plaintext


@transaction.atomic
def revoke_api_key(*, actor, key: ApiKey) -> ApiKey:
    """Revoke ``key`` now: every later request with it is refused. Refused if already revoked."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        raise AccountActionRefused(f"The {key} was already revoked.")
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    # Now for this process, and after commit for a request that cached the key in between.
    api_keys.forget(key)
    transaction.on_commit(lambda: api_keys.forget(key))
    record_event(actor=actor, action="api_key.revoked", target=key, data={"name": key.name, "prefix": key.prefix})
    return key


@transaction.atomic
def record_api_key_refused(*, key: ApiKey, reason: str) -> None:
    """Record that a revoked or expired key was presented: someone still holds it."""
    record_event(actor=None, action="api_key.refused", target=key, data={"reason": reason, "prefix": key.prefix})
