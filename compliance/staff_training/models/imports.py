"""Runs of the HR roster and LMS imports, and xAPI statements received."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportRun(models.Model):
    """An applied import: who ran it, on which file (by hash), and what it did row by row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file as uploaded.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    report = models.JSONField(
        default=list, blank=True, help_text="One entry per row: line, outcome, message; no personal data in clear."
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class RosterImport(ImportRun):
    """An applied HR roster import with its counts."""

    partial = models.BooleanField(
        default=False, help_text="A partial import adds and updates only; it never deactivates anyone."
    )
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    deactivated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    linked_users_count = models.PositiveIntegerField(default=0)

    class Meta(ImportRun.Meta):
        verbose_name = "roster import"

    def __str__(self) -> str:
        return f"Roster import {self.created_at:%Y-%m-%d %H:%M}"


class LmsImport(ImportRun):
    """An applied LMS completions import with its counts."""

    matched_count = models.PositiveIntegerField(default=0, help_text="Rows recorded as completions (or already recorded).")
    unmatched_count = models.PositiveIntegerField(default=0, help_text="Rows naming an unknown employee or course.")
    rejected_count = models.PositiveIntegerField(default=0, help_text="Rows refused: malformed, failing score, not assigned.")

    class Meta(ImportRun.Meta):
        verbose_name = "LMS import"

    def __str__(self) -> str:
        return f"LMS import {self.created_at:%Y-%m-%d %H:%M}"


class XapiStatement(models.Model):
    """An xAPI statement received on the statements endpoint, accepted or rejected with the reason.

    Stored without the actor (mbox, name, account) and without context people
    (instructor, team): the matched employee is the foreign key, the mailbox only
    as its blind index. The statement id makes resubmission idempotent.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    class Problem(models.TextChoices):
        MALFORMED = "malformed", "Malformed statement"
        UNSUPPORTED_VERB = "unsupported_verb", "Verb not accepted"
        UNKNOWN_ACTOR = "unknown_actor", "Unknown actor"
        UNKNOWN_ACTIVITY = "unknown_activity", "Unknown activity"
        FAILING_SCORE = "failing_score", "Failing score"
        NOT_ASSIGNED = "not_assigned", "Not assigned"
        ALREADY_RECORDED = "already_recorded", "Completion already recorded"

    id = models.BigAutoField(primary_key=True)
    statement_id = models.UUIDField(unique=True, verbose_name="statement id")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was rejected.")
    problem = models.CharField(max_length=20, choices=Problem.choices, blank=True, help_text="The kind of rejection.")
    verb = models.CharField(max_length=300, blank=True)
    activity_id = models.CharField(max_length=500, blank=True, verbose_name="activity id")
    actor_index = models.CharField(max_length=32, blank=True, help_text="Blind index of the actor's mailbox.")
    employee = models.ForeignKey(
        "staff_training.Employee", on_delete=models.PROTECT, null=True, blank=True, related_name="statements"
    )
    course = models.ForeignKey(
        "staff_training.Course", on_delete=models.PROTECT, null=True, blank=True, related_name="statements"
    )
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    raw = models.JSONField(help_text="The statement as received, minus the personal data listed above.")
    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.PROTECT, null=True, related_name="+")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "xAPI statement"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(reason=""),
                name="staff_training_statement_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return str(self.statement_id)
