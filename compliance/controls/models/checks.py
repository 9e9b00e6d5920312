"""Automated checks' stored results, and when each field-encryption key came into use."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class CheckStatus(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    NO_DATA = "no_data", "No data"
    ERROR = "error", "Error"


class CheckResult(models.Model):
    """One evaluation of one automated check: its status, a sentence with figures, and what failed.

    Every run is kept, so each check has a pass/fail timeline. ``failing``
    lists the failing objects as ``{"label", "url"}`` (the URL of the object's
    page), cut at MAX_FAILING_LISTED; ``failing_total`` counts them all.
    ``run_by`` is the username of whoever asked for the run, or ``beat`` for the
    hourly schedule.
    """

    Status = CheckStatus

    check_key = models.CharField(max_length=100, db_index=True, verbose_name="check")
    ran_at = models.DateTimeField(default=timezone.now, verbose_name="ran at")
    status = models.CharField(max_length=16, choices=Status.choices)
    summary = models.TextField(help_text="One sentence with the figures, for example '2 of 14 datasets … are not encrypted at rest'.")
    failing = models.JSONField(default=list, blank=True, help_text="The failing objects: label and link to each one's page.")
    failing_total = models.PositiveIntegerField(default=0, verbose_name="failing objects")
    run_by = models.CharField(max_length=150, verbose_name="run by", help_text="A username, or 'beat' for the hourly run.")

    class Meta:
        ordering = ["-ran_at", "-pk"]
        get_latest_by = "ran_at"
        verbose_name = "check result"
        permissions = [("run_checks", "Can run automated checks on demand")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CheckStatus.values), name="controls_checkresult_status_valid"),
        ]
        # The latest result per check and each check's timeline both walk this index.
        indexes = [models.Index(fields=["check_key", "-ran_at", "-id"], name="controls_checkresult_key_idx")]

    def __str__(self) -> str:
        return f"{self.check_key} {self.status} at {self.ran_at:%Y-%m-%d %H:%M}"


class EncryptionKeyRecord(models.Model):
    """When a field-encryption key (by its id, never the key) came into use.

    A key's creation time is recorded nowhere else: keys live in
    ``FIELD_ENCRYPTION_KEYS`` and their id is a digest. The key-age check
    records the active key the first time it sees it (``observed``: a lower
    bound on its age); an operator who knows the real date states it with
    ``manage.py record_encryption_key`` (``stated``).
    """

    class Source(models.TextChoices):
        OBSERVED = "observed", "First seen active by the automated checks"
        STATED = "stated", "Stated by an operator"

    key_id = models.CharField(max_length=16, unique=True, verbose_name="key id")
    in_use_since = models.DateTimeField(verbose_name="in use since")
    source = models.CharField(max_length=16, choices=Source.choices)
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name="recorded at")

    class Meta:
        ordering = ["-in_use_since", "key_id"]
        verbose_name = "encryption key record"
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["observed", "stated"]), name="controls_encryptionkeyrecord_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"key {self.key_id} in use since {self.in_use_since:%Y-%m-%d}"
