"""Audit reports: a signed PDF of the compliance posture over a period, generated in the background."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditReport(models.Model):
    """A PDF audit report asked for by a manager or an auditor, rendered by a Celery task.

    ``requested_by`` is the person whose permissions the report reads with: the
    user in the browser, or the creator of the API key a program used
    (``requested_by_key``). The request names a period, the frameworks (catalog codes) and the sections
    (see ``compliance.reports.sections.SECTIONS``) to include. The task moves the
    report from queued to running to done (or failed, with a reason a person can
    read), raising ``progress`` as sections render. A done report's file lives
    under ``settings.REPORTS_ROOT`` as ``stored_name`` (outside the web root);
    ``sha256`` is of its bytes and is also in the audit log (``report.generated``);
    ``signature`` is a detached Ed25519 signature over those bytes under the
    integrity key ``signing_key_id``. ``chain_sequence`` and ``chain_hash`` are the
    audit-chain head the report states (and signs) in its audit section.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name="identifier")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="requested by"
    )
    requested_by_key = models.ForeignKey(
        "accounts.ApiKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="requested through API key",
        help_text="Set when a program asked through the API; the report then reads with the key creator's permissions.",
    )
    requested_at = models.DateTimeField(default=timezone.now, verbose_name="requested")
    period_start = models.DateField(verbose_name="period start")
    period_end = models.DateField(verbose_name="period end", help_text="Inclusive.")
    frameworks = models.JSONField(default=list, help_text="Framework codes, in the order asked for.")
    sections = models.JSONField(default=list, help_text="Section names, in the order asked for.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.TextField(blank=True, verbose_name="failure reason")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0 to 100.")
    started_at = models.DateTimeField(null=True, blank=True, verbose_name="started")
    generated_at = models.DateTimeField(null=True, blank=True, verbose_name="generated")
    pages = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes.")
    sha256 = models.CharField(max_length=64, blank=True, verbose_name="SHA-256", help_text="Of the PDF's bytes.")
    stored_name = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    signature = models.CharField(
        max_length=128, blank=True, help_text="Detached Ed25519 signature over the PDF, URL-safe base64."
    )
    signing_key_id = models.CharField(max_length=32, blank=True, verbose_name="signing key id")
    chain_sequence = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name="chain head sequence", help_text="The audit-chain head the report states."
    )
    chain_hash = models.CharField(max_length=64, blank=True, verbose_name="chain head hash")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        permissions = [("download_auditreport", "Can download audit reports and their signatures")]
        indexes = [models.Index(fields=["status", "requested_at"], name="reports_report_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="reports_period_ordered"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="reports_progress_percent"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="reports_status_known"
            ),
            # A done report has its file, hash and signature; a failed one says why.
            models.CheckConstraint(
                condition=~Q(status="done")
                | (
                    Q(stored_name__isnull=False, generated_at__isnull=False, pages__isnull=False, size__isnull=False)
                    & ~Q(sha256="")
                    & ~Q(signature="")
                    & Q(progress=100)
                ),
                name="reports_done_has_file",
            ),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(failure_reason=""), name="reports_failed_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Audit report #{self.pk}"

    @property
    def is_finished(self) -> bool:
        """Return whether the task is done with this report (done or failed)."""
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def filename(self) -> str:
        """Return the download name of the PDF (the signature adds ``.sig``)."""
        return f"custos-audit-report-{self.pk}.pdf"


# The dashboard's summary lives in its own module (helper "dashboard"); imported here so Django finds the model.
from compliance.reports.dashboard_models import DashboardSummary  # noqa: E402, F401
