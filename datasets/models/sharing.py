"""Share links: a file-based dataset version handed to one recipient, watermarked."""

import hashlib
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from compliance.crypto.fields import EncryptedTextField
from datasets.models.choices import ShareState
from datasets.models.registry import StorageLocation
from datasets.models.versions import DatasetVersion

# The sharing policy: a link expires at most this many days after it is issued (the service refuses a later expiry).
MAX_SHARE_DAYS = 90


def hash_share_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a share token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ShareLink(models.Model):
    """A time-limited link through which one recipient downloads a version's file.

    The token is shown once when the link is made; only its SHA-256 is kept. The
    copy served carries canary rows derived from a keyed hash of the link's id
    (under ``watermark_key_id``), so a leaked file can be traced back to it.
    After expiry, revocation or the last allowed download the link is dead.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="share_links")
    location = models.ForeignKey(
        StorageLocation,
        on_delete=models.PROTECT,
        related_name="share_links",
        help_text="The file location whose data is shared.",
    )
    recipient_name = models.CharField(max_length=200, verbose_name="recipient")
    recipient_organisation = models.CharField(max_length=200, verbose_name="organisation")
    purpose = models.TextField()
    expires_at = models.DateTimeField(verbose_name="expires")
    max_downloads = models.PositiveIntegerField(null=True, blank=True, verbose_name="download limit")
    download_count = models.PositiveIntegerField(default=0, verbose_name="downloads")
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    watermark_key_id = models.CharField(max_length=16, editable=False)
    # The watermark key derived from that field key, wrapped by the keyring, so canaries already
    # handed out stay traceable after the field key is rotated out (rotate_encryption_keys fills it).
    watermark_key = EncryptedTextField(null=True, blank=True, editable=False, verbose_name="watermark key")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_downloads__isnull=True) | Q(max_downloads__gte=1),
                name="datasets_sharelink_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_downloads__isnull=True) | Q(download_count__lte=F("max_downloads")),
                name="datasets_sharelink_within_limit",
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="datasets_sharelink_expires_later"),
        ]

    def __str__(self) -> str:
        return f"share of {self.version} with {self.recipient_organisation}"

    def state_at(self, moment: datetime) -> str:
        """Return the link's state at ``moment``: revoked, expired, exhausted or active (in that precedence)."""
        if self.revoked_at is not None and self.revoked_at <= moment:
            return ShareState.REVOKED
        if moment >= self.expires_at:
            return ShareState.EXPIRED
        if self.max_downloads is not None and self.download_count >= self.max_downloads:
            return ShareState.EXHAUSTED
        return ShareState.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def downloads_left(self) -> int | None:
        return None if self.max_downloads is None else max(self.max_downloads - self.download_count, 0)
