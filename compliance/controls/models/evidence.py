"""Evidence files: uploaded, type-checked by content, stored encrypted outside the web root."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from compliance.controls.models.controls import Control
from compliance.controls.models.frameworks import Requirement


class Evidence(models.Model):
    """A file that proves a control or a requirement is met: a policy, a report, a screenshot.

    The file lives under ``settings.EVIDENCE_ROOT`` as ``stored_name`` (a
    generated name, never the uploader's), encrypted with the field keyring and
    bound to ``uid``. ``original_name`` is sanitised and kept for display only.
    ``content_type`` is what the bytes are (sniffed), not what the name says.
    Evidence past ``expires_on`` no longer proves anything.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    original_name = models.CharField(max_length=255, verbose_name="original file name")
    stored_name = models.CharField(max_length=100, unique=True, editable=False)
    content_type = models.CharField(max_length=100, verbose_name="content type")
    size = models.PositiveBigIntegerField(help_text="Bytes, before encryption.")
    sha256 = models.CharField(max_length=64, verbose_name="SHA-256", help_text="Of the file as uploaded.")
    effective_date = models.DateField(verbose_name="effective")
    expires_on = models.DateField(null=True, blank=True, verbose_name="expires", help_text="Empty: never expires.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, verbose_name="uploaded")
    controls = models.ManyToManyField(Control, blank=True, related_name="evidence")
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="evidence")

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = "evidence"
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("effective_date")),
                name="controls_evidence_expires_after_effective",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_expired(self, today=None) -> bool:
        """Return whether the evidence is past its expiry on ``today`` (local date)."""
        today = today or timezone.localdate()
        return self.expires_on is not None and self.expires_on < today
