"""The hash-chained, append-only audit log."""

import json

from django.db import models

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One thing that happened, chained to the event before it.

    ``hash = sha256(prev_hash ‖ canonical JSON of the event)``: editing, deleting
    or reordering any event breaks every hash after it, which
    ``manage.py verify_audit_chain`` detects. The table rejects UPDATE and DELETE
    (and TRUNCATE on PostgreSQL) through database triggers installed by migration.
    The payload never carries personal data in clear.
    """

    class ActorType(models.TextChoices):
        USER = "user", "User"
        API_KEY = "api_key", "API key"
        SYSTEM = "system", "System"
        ANONYMOUS = "anonymous", "Anonymous visitor"

    sequence = models.PositiveBigIntegerField(
        primary_key=True,
        verbose_name="sequence number",
        help_text="Position in the chain, from 1 with no gaps.",
    )
    occurred_at = models.DateTimeField(
        db_index=True,
        verbose_name="occurred at",
    )
    actor_type = models.CharField(
        max_length=16,
        choices=ActorType.choices,
        verbose_name="actor type",
    )
    actor_id = models.CharField(
        max_length=64,
        blank=True,
        verbose_name="actor id",
        help_text="Primary key of the user or API key; empty for the system.",
    )
    actor_label = models.CharField(
        max_length=150,
        blank=True,
        verbose_name="actor",
        help_text="Username or key name at the time of the event.",
    )
    action = models.CharField(
        max_length=100,
        db_index=True,
        help_text="Dotted name, for example erasure.approved.",
    )
    target_type = models.CharField(
        max_length=100,
        blank=True,
        verbose_name="target type",
    )
    target_id = models.CharField(
        max_length=64,
        blank=True,
        verbose_name="target id",
    )
    data = models.JSONField(
        default=dict,
        blank=True,
        help_text="Details of the event; never personal data in clear.",
    )
    prev_hash = models.CharField(
        max_length=64,
        verbose_name="previous hash",
    )
    hash = models.CharField(
        max_length=64,
        unique=True,
    )

    class Meta:
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["actor_type", "actor_id", "sequence"], name="audit_event_actor_idx"),
            models.Index(fields=["target_type", "target_id", "sequence"], name="audit_event_target_idx"),
            models.Index(fields=["action", "sequence"], name="audit_event_action_idx"),
        ]
        permissions = [("verify_chain", "Can verify the audit chain")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    @property
    def target_label(self) -> str:
        return f"{self.target_type} {self.target_id}".strip()

    @property
    def data_compact(self) -> str:
        """The payload as one line of JSON, keys sorted, for tables."""
        return json.dumps(self.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def data_indented(self) -> str:
        """The payload as indented JSON, keys sorted, for the event's own page."""
        return json.dumps(self.data, sort_keys=True, indent=2, ensure_ascii=False)


class ChainHead(models.Model):
    """The single row whose lock serialises appends: the last sequence and hash.

    Locking this row (not "the last event") means two writers can never both read
    the same predecessor and fork the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chainhead_single_row")]

    def __str__(self) -> str:
        return f"head at #{self.sequence}"


class AuditCheckpoint(models.Model):
    """A recorded (sequence, hash) of a verified head: cutting the tail below it is detected."""

    class Reason(models.TextChoices):
        SCHEDULE = "schedule", "Scheduled verification"
        REPORT = "report", "Report generated"
        MANUAL = "manual", "Manual verification"

    sequence = models.PositiveBigIntegerField(verbose_name="sequence number")
    hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name="recorded at")
    reason = models.CharField(max_length=16, choices=Reason.choices)

    class Meta:
        ordering = ["-sequence"]
        get_latest_by = "sequence"

    def __str__(self) -> str:
        return f"checkpoint at #{self.sequence}"


class ChainVerification(models.Model):
    """The outcome of one walk of the chain, shown on the audit-log page."""

    verified_at = models.DateTimeField(auto_now_add=True, verbose_name="verified at")
    intact = models.BooleanField()
    event_count = models.PositiveBigIntegerField(verbose_name="events")
    head_hash = models.CharField(max_length=64, blank=True, verbose_name="head hash")
    first_bad_sequence = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="first bad sequence")
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-verified_at", "-id"]
        get_latest_by = "verified_at"

    def __str__(self) -> str:
        return f"{'intact' if self.intact else 'broken'} at {self.verified_at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        """One line for people: what the walk found, as the command prints it."""
        if self.intact:
            events = "event" if self.event_count == 1 else "events"
            return f"Audit chain intact: {self.event_count} {events}, head #{self.event_count} sha256 {self.head_hash}"
        return f"Audit chain BROKEN at #{self.first_bad_sequence}: {self.message}"
