"""Bulk imports of consent records: the job a file becomes, and the rows it had to skip."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ConsentImport(models.Model):
    """A CSV or JSON Lines file of consent events, recorded in batches by a Celery worker.

    The uploaded file is kept under ``MEDIA_ROOT/imports/`` with a generated
    name and read as a stream. Each batch commits on its own, together with
    the byte offset and line reached, its skipped rows and its audit event: a
    worker that dies loses at most the batch in progress, and the next run
    resumes where the last commit left off. ``rows_done`` counts the rows
    handled so far: recorded, already recorded (a re-sent event id) or failed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSONL = "jsonl", "JSON Lines"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    file_format = models.CharField(max_length=8, choices=Format.choices, verbose_name="format")
    file_name = models.CharField(max_length=255, verbose_name="file name", help_text="As uploaded; shown, never used as a path.")
    stored_name = models.CharField(
        max_length=255, editable=False, help_text="Path of the stored file under MEDIA_ROOT, with a generated name."
    )
    size_bytes = models.PositiveBigIntegerField(verbose_name="size (bytes)")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_key = models.ForeignKey(
        "accounts.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="created by API key"
    )
    requested_by = models.CharField(max_length=150, verbose_name="requested by", help_text="User or API key, by name.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    bytes_done = models.PositiveBigIntegerField(default=0, help_text="Offset in the file up to which rows are committed.")
    lines_done = models.PositiveBigIntegerField(default=0, help_text="Lines of the file read up to bytes_done.")
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_recorded = models.PositiveBigIntegerField(default=0)
    rows_already_recorded = models.PositiveBigIntegerField(
        default=0, help_text="Rows whose event id was recorded before: nothing written."
    )
    rows_failed = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True, help_text="Known once the whole file is read.")
    subjects_created = models.PositiveBigIntegerField(default=0)
    failure = models.TextField(blank=True, help_text="Why the file as a whole could not be imported.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "consent import"
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done=models.F("rows_recorded") + models.F("rows_already_recorded") + models.F("rows_failed")),
                name="consent_import_rows_add_up",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure=""),
                name="consent_import_failure_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"import of {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.COMPLETED, self.Status.FAILED}

    @property
    def percent(self) -> int:
        """How far through the file the committed rows reach, 0 to 100."""
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.size_bytes:
            return 0
        return min(99, self.bytes_done * 100 // self.size_bytes)


class ConsentImportError(models.Model):
    """A row of an import that was skipped, with its line number in the file and why."""

    job = models.ForeignKey(ConsentImport, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveBigIntegerField(help_text="1 is the first line of the file (a CSV's header).")
    reason = models.CharField(max_length=1000)

    class Meta:
        ordering = ["job", "line"]
        verbose_name = "consent import error"
        constraints = [models.UniqueConstraint(fields=["job", "line"], name="consent_import_error_one_per_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"
