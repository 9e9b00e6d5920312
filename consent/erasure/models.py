"""Erasure requests, their steps per storage location, discovery counts, legal holds and reminders.

The status values, field names and constraint names are contracts: the
execution engine (claiming steps, leases, retries, completion) builds on them.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from compliance.crypto.fields import BlindIndexField, EncryptedTextField
from consent.erasure import clocks
from consent.jurisdictions import Regime
from consent.models import DataSubject
from datasets.models import Dataset, StorageLocation


def _valid(field: str, choices: type[models.TextChoices]) -> models.Q:
    return models.Q(**{f"{field}__in": choices.values})


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    VERIFIED = "verified", "Verified"
    APPROVED = "approved", "Approved"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class RequestSource(models.TextChoices):
    BROWSER = "browser", "DPO in the browser"
    API = "api", "API"


class VerificationMethod(models.TextChoices):
    ID_DOCUMENT = "id_document", "Identity document checked"
    ACCOUNT = "account", "Signed-in account of the product"
    EMAIL_CONFIRMATION = "email_confirmation", "Confirmed from the email address on record"
    KNOWLEDGE = "knowledge", "Questions only the person could answer"
    TRUSTED_API_KEY = "trusted_api_key", "Trusted API key"
    OTHER = "other", "Other (see the evidence note)"


class RejectionReason(models.TextChoices):
    UNVERIFIABLE = "unverifiable", "Identity could not be verified"
    LEGAL_HOLD = "legal_hold", "Legal hold"
    EXEMPTION = "exemption", "Exemption applies"


class StatutoryClock(models.Model):
    """A request's statutory clock beyond its due date: the one extension, and the pauses.

    Shared by erasure and access requests (GDPR Art. 12(3) and CCPA
    §1798.130 set the same clock for both rights). The concrete model keeps
    ``due_at``, ``received_at``, ``regulation`` and ``is_open``; the services
    (``extend_deadline``, ``pause_clock``, ``resume_clock``) keep ``due_at``
    current from these fields.
    """

    extended = models.BooleanField(default=False, help_text="The deadline was extended (once).")
    extension_reason = models.TextField(
        blank=True, verbose_name="extension reason", help_text="GDPR: the reason; CCPA: the notice given to the consumer."
    )
    extended_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Set while the clock waits on the requester.")
    paused_total = models.DurationField(default=timedelta(0), help_text="Time the clock stood still, all pauses together.")

    class Meta:
        abstract = True

    def clock(self, now=None) -> clocks.Clock:
        """Return where the request's clock stands at ``now`` (paused while waiting on the requester, closed once done)."""
        return clocks.clock(
            due_at=self.due_at, now=now or timezone.now(), paused_at=self.paused_at, closed=not self.is_open
        )


class ErasureRequest(StatutoryClock):
    """A person's request to have their personal data erased, and where it stands.

    It names a known data subject (``subject``) or, for a person Custos has no
    subject record of, only the identifiers they gave (``email``, ``phone``:
    encrypted, with blind indexes). Its regulation sets the clock (see
    ``clocks``): ``due_at`` is kept current by the services when the deadline
    is extended or the clock paused and resumed. Shown as ``#<id>``.

    received → verified → approved → running → completed; received or
    verified → rejected; running → failed (a step exhausted its retries).
    """

    Status = RequestStatus
    Source = RequestSource
    VerificationMethod = VerificationMethod
    RejectionReason = RejectionReason

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.ForeignKey(
        DataSubject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="erasure_requests",
        help_text="The known data subject; empty when the person is known only by the identifiers given.",
    )
    email = EncryptedTextField(null=True, blank=True, help_text="Given by the requester; encrypted, normalised.")
    email_index = BlindIndexField(source="email", kind="email", verbose_name="email blind index")
    phone = EncryptedTextField(null=True, blank=True, help_text="Given by the requester; encrypted, E.164.")
    phone_index = BlindIndexField(source="phone", kind="phone", verbose_name="phone blind index")
    regulation = models.CharField(max_length=16, choices=Regime.choices, help_text="Sets the clock.")
    clause = models.CharField(max_length=100, help_text="The provision relied on, for example GDPR Art. 17(1)(b).")
    source = models.CharField(max_length=16, choices=Source.choices)
    requester_contact = EncryptedTextField(
        null=True, blank=True, verbose_name="requester contact", help_text="How to reach the requester; encrypted."
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_erasure_requests",
        help_text="Who handles the request and receives its reminders.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    received_at = models.DateTimeField(default=timezone.now, verbose_name="received")
    due_at = models.DateTimeField(db_index=True, verbose_name="due", help_text="End of the due day, moved by pauses.")
    verification_method = models.CharField(max_length=32, choices=VerificationMethod.choices, blank=True)
    verification_note = models.TextField(blank=True, verbose_name="verification evidence")
    verified_by = models.CharField(max_length=150, blank=True, help_text="Who verified: a user or an API key.")
    verified_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=16, choices=RejectionReason.choices, blank=True)
    rejection_clause = models.CharField(max_length=100, blank=True, help_text="For example GDPR Art. 17(3)(e).")
    rejection_note = models.TextField(blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    training_runs_flagged = models.JSONField(
        default=dict,
        blank=True,
        verbose_name="training runs flagged",
        help_text="Set on completion: ids of the runs flagged affected and possibly affected.",
    )
    created_by = models.CharField(max_length=150, help_text="Who filed it: a user or an API key.")
    updated_at = models.DateTimeField(auto_now=True)

    encryption_identity_field = "uid"

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = "erasure request"
        permissions = [("approve_erasurerequest", "Can approve erasure requests")]
        constraints = [
            models.CheckConstraint(condition=_valid("status", RequestStatus), name="erasure_request_status_valid"),
            models.CheckConstraint(condition=_valid("regulation", Regime), name="erasure_request_regulation_valid"),
            models.CheckConstraint(condition=_valid("source", RequestSource), name="erasure_request_source_valid"),
            models.CheckConstraint(
                condition=models.Q(subject__isnull=False)
                | models.Q(email_index__isnull=False)
                | models.Q(phone_index__isnull=False),
                name="erasure_request_names_someone",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | _valid("rejection_reason", RejectionReason),
                name="erasure_request_rejection_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="erasure_request_open_due_idx")]

    OPEN_STATUSES = (Status.RECEIVED, Status.VERIFIED, Status.APPROVED, Status.RUNNING, Status.FAILED)

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def reference(self) -> str:
        """``#12``: how people and the audit log name the request."""
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"



class ErasureStep(models.Model):
    """Erasing one request's subject from one storage location: one per request and location.

    Approval creates them ``pending``, or ``skipped`` under a legal hold
    (``legal_hold``, ``skipped_reason``). The execution engine claims a step,
    runs it under a lease and records what the connector erased in
    ``evidence`` (``records_affected``, ``fields``, ``keys_sha256``,
    ``rows_before``, ``rows_after``).
    """

    Status = StepStatus

    request = models.ForeignKey(ErasureRequest, on_delete=models.PROTECT, related_name="steps")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="erasure_steps")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name="queued",
        help_text="When its task was last sent, or when a retry after backoff is due; the sweeper resends only past a lease.",
    )
    last_error = models.TextField(blank=True)
    legal_hold = models.ForeignKey(
        "LegalHold", on_delete=models.PROTECT, null=True, blank=True, related_name="skipped_steps"
    )
    skipped_reason = models.CharField(max_length=500, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "pk"]
        verbose_name = "erasure step"
        constraints = [
            models.UniqueConstraint(fields=["request", "location"], name="erasure_step_unique_per_location"),
            models.CheckConstraint(condition=_valid("status", StepStatus), name="erasure_step_status_valid"),
        ]

    def __str__(self) -> str:
        return f"step {self.pk} of #{self.request_id}"

    @property
    def records_affected(self) -> int | None:
        return self.evidence.get("records_affected") if self.evidence else None


class StepCompletion(models.Model):
    """The one record that a step ran to completion: which attempt finished it, and what it erased.

    ``finish_step`` writes it in the transaction that marks the step done. A
    step may be delivered to workers more than once (a worker killed after
    erasing but before acknowledging, a sweeper re-enqueueing an expired
    lease), and the connector may then run twice; the unique ``step`` makes
    "each step completes exactly once" a fact of the database rather than of
    the engine's locking alone.
    """

    step = models.ForeignKey(ErasureStep, on_delete=models.PROTECT, related_name="completions")
    attempt = models.PositiveIntegerField(help_text="The attempt of the step that finished it.")
    records_affected = models.PositiveIntegerField(verbose_name="records affected")
    keys_sha256 = models.CharField(max_length=64, blank=True, verbose_name="keys sha256")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["step"]
        verbose_name = "erasure step completion"
        constraints = [models.UniqueConstraint(fields=["step"], name="erasure_step_completes_once")]

    def __str__(self) -> str:
        return f"completion of step {self.step_id}"


class DiscoveryResult(models.Model):
    """How many records one location holds for a request's subject, or why it could not say.

    Counts only, never the data. Discovery runs again overwrite the row.
    """

    request = models.ForeignKey(ErasureRequest, on_delete=models.CASCADE, related_name="discovery_results")
    location = models.ForeignKey(StorageLocation, on_delete=models.CASCADE, related_name="discovery_results")
    records_found = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    discovered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "location__name"]
        verbose_name = "discovery result"
        constraints = [
            models.UniqueConstraint(fields=["request", "location"], name="erasure_discovery_unique_per_location"),
            models.CheckConstraint(
                condition=models.Q(records_found__isnull=False) | ~models.Q(error=""),
                name="erasure_discovery_count_or_error",
            ),
        ]

    def __str__(self) -> str:
        return f"discovery of #{self.request_id} in {self.location_id}"


class LegalHold(models.Model):
    """An order to keep a dataset's or a subject's data despite erasure requests (litigation, regulator).

    Exactly one of ``dataset`` and ``subject``. Active until released or
    past ``until``. Approval skips every location under an active hold and
    names the hold on the step.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds")
    subject = models.ForeignKey(
        DataSubject, on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds"
    )
    reason = models.TextField(help_text="Why the data must be kept, for example the case or the regulator's order.")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="legal_holds_set"
    )
    set_at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField(null=True, blank=True, help_text="The hold ends by itself then; empty for until released.")
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="legal_holds_released"
    )

    class Meta:
        ordering = ["-set_at", "-pk"]
        verbose_name = "legal hold"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dataset__isnull=False, subject__isnull=True)
                | models.Q(dataset__isnull=True, subject__isnull=False),
                name="erasure_legalhold_dataset_xor_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold #{self.pk}"

    @property
    def target_label(self) -> str:
        """``dataset Shop customers`` or ``subject user-1``."""
        if self.dataset_id:
            return f"dataset {self.dataset.name}"
        return f"subject {self.subject.external_id}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.released_at is None and (self.until is None or self.until > now)


class Reminder(models.Model):
    """A reminder email sent about a request, so each threshold is mailed once per due date.

    The concrete model adds ``request`` and the constraint making
    (request, kind, due_at) unique.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField(help_text="The due date the reminder was about; a new due date earns new reminders.")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.request}"


class ErasureReminder(Reminder):
    """A reminder about an erasure request."""

    request = models.ForeignKey(ErasureRequest, on_delete=models.CASCADE, related_name="reminders")

    class Meta(Reminder.Meta):
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "due_at"], name="erasure_reminder_once_per_threshold"),
        ]


from consent.erasure.access_models import AccessReminder, AccessRequest, AccessResult  # noqa: E402, F401 (access requests belong to this app)
