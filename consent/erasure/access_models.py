"""Access requests (GDPR Art. 15, CCPA right to know) and what each storage location answered.

Imported at the end of ``consent.erasure.models`` so the models belong to the
erasure app: an access request runs the erasure engine's connectors in read
mode (``export``), on the same statutory clocks, with the same kinds of
identifiers and verification.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from compliance.crypto.fields import BlindIndexField, EncryptedTextField
from consent.erasure.models import RejectionReason, Reminder, RequestSource, StatutoryClock, VerificationMethod, _valid
from consent.jurisdictions import Regime
from consent.models import DataSubject
from datasets.models import StorageLocation


class AccessStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    VERIFIED = "verified", "Verified"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    EXPIRED = "expired", "Expired"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class AccessRequest(StatutoryClock):
    """A person's request to know what personal data is held about them, and the archive that answers it.

    Like an erasure request it names a known subject (``subject``) or only the
    identifiers the person gave (``email``, ``phone``: encrypted, with blind
    indexes), and its regulation sets the clock (``clocks``), extended once
    and paused like an erasure request's (``StatutoryClock``). Once verified,
    every storage location is asked for the subject's records (one
    ``AccessResult`` per location); when every location has answered or is
    not applicable, the records are assembled into a ZIP that is stored
    encrypted under ``ACCESS_EXPORT_ROOT`` (``archive_name``) with a per-file
    key kept here encrypted by the field keyring (``archive_key``), until
    ``expires_at``. Shown as ``#A<id>``.

    received → verified → running → ready → expired; received → rejected;
    running → failed (a location could not be read) → running (retry).
    """

    Status = AccessStatus
    Source = RequestSource
    VerificationMethod = VerificationMethod
    RejectionReason = RejectionReason

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.ForeignKey(
        DataSubject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_requests",
        help_text="The known data subject; empty when the person is known only by the identifiers given.",
    )
    email = EncryptedTextField(null=True, blank=True, help_text="Given by the requester; encrypted, normalised.")
    email_index = BlindIndexField(source="email", kind="email", verbose_name="email blind index")
    phone = EncryptedTextField(null=True, blank=True, help_text="Given by the requester; encrypted, E.164.")
    phone_index = BlindIndexField(source="phone", kind="phone", verbose_name="phone blind index")
    regulation = models.CharField(max_length=16, choices=Regime.choices, help_text="Sets the clock.")
    clause = models.CharField(max_length=100, help_text="The provision relied on, for example GDPR Art. 15.")
    source = models.CharField(max_length=16, choices=RequestSource.choices)
    requester_contact = EncryptedTextField(
        null=True, blank=True, verbose_name="requester contact", help_text="How to reach the requester; encrypted."
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_access_requests",
        help_text="Who handles the request and receives its reminders.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    received_at = models.DateTimeField(default=timezone.now, verbose_name="received")
    due_at = models.DateTimeField(db_index=True, verbose_name="due", help_text="End of the due day, moved by pauses.")
    verification_method = models.CharField(max_length=32, choices=VerificationMethod.choices, blank=True)
    verification_note = models.TextField(blank=True, verbose_name="verification evidence")
    verified_by = models.CharField(max_length=150, blank=True, help_text="Who verified: a user or an API key.")
    verified_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=16, choices=RejectionReason.choices, blank=True)
    rejection_clause = models.CharField(max_length=100, blank=True, help_text="For example GDPR Art. 15(4).")
    rejection_note = models.TextField(blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    archive_name = models.CharField(
        max_length=100, blank=True, verbose_name="archive file", help_text="The encrypted archive under ACCESS_EXPORT_ROOT."
    )
    archive_key = EncryptedTextField(
        null=True, blank=True, verbose_name="archive key", help_text="The archive's own AES-256-GCM key, encrypted."
    )
    archive_sha256 = models.CharField(max_length=64, blank=True, verbose_name="archive sha256", help_text="Of the ZIP.")
    archive_size = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="archive size (bytes)")
    generated_at = models.DateTimeField(null=True, blank=True, verbose_name="generated")
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name="download until")
    expired_at = models.DateTimeField(null=True, blank=True, help_text="When the archive was deleted.")
    created_by = models.CharField(max_length=150, help_text="Who filed it: a user or an API key.")
    updated_at = models.DateTimeField(auto_now=True)

    encryption_identity_field = "uid"

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = "access request"
        permissions = [("download_accessrequest", "Can download access request archives")]
        constraints = [
            models.CheckConstraint(condition=_valid("status", AccessStatus), name="access_request_status_valid"),
            models.CheckConstraint(condition=_valid("regulation", Regime), name="access_request_regulation_valid"),
            models.CheckConstraint(condition=_valid("source", RequestSource), name="access_request_source_valid"),
            models.CheckConstraint(
                condition=models.Q(subject__isnull=False)
                | models.Q(email_index__isnull=False)
                | models.Q(phone_index__isnull=False),
                name="access_request_names_someone",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | _valid("rejection_reason", RejectionReason),
                name="access_request_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready")
                | (~models.Q(archive_name="") & ~models.Q(archive_sha256="") & models.Q(expires_at__isnull=False)),
                name="access_request_ready_has_archive",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="access_request_open_due_idx")]

    OPEN_STATUSES = (Status.RECEIVED, Status.VERIFIED, Status.RUNNING, Status.FAILED)

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """``#A12``: how people and the audit log name the request (``A`` keeps it apart from erasure's ``#12``)."""
        return f"#A{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def download_until(self, now=None):
        """Return when the archive can be downloaded until, or None when there is none to download."""
        if self.status != AccessStatus.READY or self.expires_at is None:
            return None
        return self.expires_at if self.expires_at > (now or timezone.now()) else None


class AccessResultStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    FAILED = "failed", "Failed"


class AccessResult(models.Model):
    """What one storage location answered for one access request: one per request and location.

    Created ``pending`` when the export starts, or ``not_applicable`` (with
    the reason) for a location keyed by an identifier the request does not
    give. The engine claims it under a lease, reads the subject's records
    (``export``) into an encrypted part file (``part_name``) and records how
    many and which fields; a permanent error fails it with the reason.
    Legal holds do not apply: they stop erasure, not access.
    """

    Status = AccessResultStatus

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="results")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="access_results")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    records_exported = models.PositiveIntegerField(null=True, blank=True, verbose_name="records exported")
    fields = models.JSONField(default=list, blank=True, help_text="The fields of the records exported.")
    part_name = models.CharField(max_length=100, blank=True, help_text="The encrypted records until the archive is built.")
    error = models.TextField(blank=True, help_text="The last error, or why the location was not searched.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "pk"]
        verbose_name = "access result"
        constraints = [
            models.UniqueConstraint(fields=["request", "location"], name="access_result_unique_per_location"),
            models.CheckConstraint(condition=_valid("status", AccessResultStatus), name="access_result_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(records_exported__isnull=False),
                name="access_result_done_has_count",
            ),
        ]

    ANSWERED = (AccessResultStatus.DONE, AccessResultStatus.NOT_APPLICABLE)

    def __str__(self) -> str:
        return f"result of {self.location_id} for #A{self.request_id}"


class AccessReminder(Reminder):
    """A reminder about an access request."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="reminders")

    class Meta(Reminder.Meta):
        verbose_name = "access reminder"
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "due_at"], name="access_reminder_once_per_threshold"),
        ]
