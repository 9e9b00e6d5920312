"""Users, their second factors and their sessions."""

import uuid
from datetime import date

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from compliance.accounts.roles import MFA_REQUIRED_ROLES, Role
from compliance.crypto.fields import EncryptedTextField


class User(AbstractUser):
    """A person who signs in to Custos: staff of the organisation or an external auditor.

    Roles are Django groups (see ``roles.Role``). ``access_expires_on`` ends an
    account's access after that day in the organisation's time zone; auditors'
    accounts always carry one.
    """

    access_expires_on = models.DateField(
        null=True,
        blank=True,
        verbose_name="access ends on",
        help_text="Sign-in is refused after this day (organisation time zone). Required for auditors.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [
            ("manage_users", "Can create users, change roles and reset MFA"),
        ]

    audit_actor_type = "user"

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names & set(roles))

    @property
    def roles_display(self) -> str:
        return ", ".join(sorted(self.role_names)) or "No role"

    @property
    def requires_mfa(self) -> bool:
        """Whether this account must pass TOTP verification (every role but Employee, and admins)."""
        return self.is_staff or self.is_superuser or bool(self.role_names & MFA_REQUIRED_ROLES)

    @property
    def can_manage_users(self) -> bool:
        return self.has_perm("accounts.manage_users")

    def access_expired(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.access_expires_on is not None and today > self.access_expires_on

    @property
    def is_auditor(self) -> bool:
        return Role.AUDITOR in self.role_names


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (RFC 6238 TOTP) with its seed encrypted at rest.

    django-otp's own TOTP plugin stores the seed in clear; this one stores it as
    an AES-GCM token. ``last_t`` is the last time step accepted, so a code is
    never accepted twice.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    encrypted_key = EncryptedTextField(help_text="Hex-encoded 20-byte seed, encrypted.")
    digits = models.PositiveSmallIntegerField(default=6)
    step = models.PositiveSmallIntegerField(default=30)
    tolerance = models.PositiveSmallIntegerField(default=1, help_text="Time steps of drift accepted either side.")
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1, help_text="Last accepted time step; codes at or before it are refused.")

    encryption_identity_field = "uid"

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token) -> bool:
        from compliance.accounts import otp

        return otp.verify_totp_device(self, token)


class BackupCodeDevice(ThrottlingMixin, Device):
    """Ten single-use recovery codes, stored as keyed hashes."""

    class Meta(Device.Meta):
        verbose_name = "backup-code set"

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token) -> bool:
        from compliance.accounts import otp

        return otp.verify_backup_code(self, token)


class BackupCode(models.Model):
    """One recovery code; ``used_at`` is set when it is spent."""

    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="accounts_backupcode_unique_per_device"),
        ]

    def __str__(self) -> str:
        return f"backup code of {self.device_id} ({'used' if self.used_at else 'unused'})"


class UserSession(models.Model):
    """A signed-in browser session, listed so its owner can end the others."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="browser_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name="signed in at")
    last_seen_at = models.DateTimeField(default=timezone.now, verbose_name="last seen at")
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name="ended at")
    ip_prefix = models.CharField(
        max_length=64,
        blank=True,
        verbose_name="network",
        help_text="Client address truncated to its /24 (IPv4) or /48 (IPv6).",
    )
    user_agent = models.CharField(max_length=200, blank=True, verbose_name="browser")

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="accounts_session_active_idx")]

    def __str__(self) -> str:
        return f"session of {self.user} from {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class ApiKey(models.Model):
    """A secret that lets a program (a pipeline, a product back end) call the REST API.

    The key is shown once when created; only its SHA-256 is kept, with its first
    characters (``prefix``) so people can tell keys apart in lists. A key acts
    with its scopes, never with its creator's roles, and is the audit actor of
    what it does. For the API it stands where a signed-in user would
    (``request.user``), which is why it answers ``is_authenticated``.
    """

    class Scope(models.TextChoices):
        CONSENT_READ = "consent:read", "Read consents and subjects"
        CONSENT_WRITE = "consent:write", "Record consents, subjects, purposes and notices"
        ERASURE_WRITE = "erasure:write", "File erasure requests"
        ERASURE_APPROVE = "erasure:approve", "Approve erasure requests"
        REGISTRY_WRITE = "registry:write", "Register datasets, locations, versions, models and training runs"
        TRAINING_WRITE = "training:write", "Register ML models and their training runs"
        STAFF_TRAINING_WRITE = "staff_training:write", "Record staff training completions"
        REPORTS_READ = "reports:read", "Download reports"
        REPORTS_WRITE = "reports:write", "Request audit reports"

    name = models.CharField(
        max_length=100,
        help_text="What uses the key, for example “nightly training pipeline”. Unique among active keys.",
    )
    prefix = models.CharField(max_length=8, db_index=True, help_text="The key's first characters, shown in lists.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the whole key (hex).")
    scopes = models.JSONField(default=list, help_text="What the key may do: a list of scope codes.")
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_api_keys",
        help_text="Empty for keys created with manage.py create_api_key.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="The key is refused after this moment.")
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="Updated at most once a minute.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-pk"]
        permissions = [("manage_api_keys", "Can create and revoke API keys")]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(revoked_at__isnull=True),
                name="accounts_apikey_unique_active_name",
            ),
        ]

    audit_actor_type = "api_key"
    # Stands in for a user in DRF's request.user; model permissions never apply to it.
    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return f"key {self.name} ({self.prefix})"

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perm_list, obj=None) -> bool:
        return False

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and (now or timezone.now()) > self.expires_at

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
