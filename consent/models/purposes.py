"""Purposes of processing and the privacy notices that explain them."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

from datasets.models import LawfulBasis


class Purpose(models.Model):
    """Why personal data is processed: marketing, model training, analytics…

    ``code`` is permanent: datasets name the purposes they feed by code
    (``Dataset.purposes``), which keeps one source of truth for that link
    (``consent.selectors.datasets_for_purpose``). A purpose on the consent
    basis always requires consent; others may still ask for it (a marketing
    opt-in under legitimate interests, say). An inactive purpose takes no new
    grants, and consent checks for it answer not allowed.
    """

    code = models.CharField(
        max_length=64,
        unique=True,
        help_text="Permanent short name: lower-case letters, digits, hyphens and underscores, for example model-training.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    lawful_basis = models.CharField(
        max_length=32,
        choices=LawfulBasis.choices,
        verbose_name="lawful basis",
    )
    consent_required = models.BooleanField(
        default=True,
        verbose_name="consent required",
        help_text="Processing for this purpose needs the person's consent.",
    )
    active = models.BooleanField(default=True, help_text="Inactive purposes take no new consents.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(lawful_basis=LawfulBasis.CONSENT) | Q(consent_required=True),
                name="consent_purpose_consent_basis_requires_consent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def notice_digest(*, text: str, url: str) -> str:
    """Return the SHA-256 (hex) a notice is pinned by: of its UTF-8 text, or of its URL when it has no text."""
    content = text if text else url
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class PrivacyNotice(models.Model):
    """One version of what people are told about a purpose before they consent.

    Notices are never edited: a change is a new version. Each consent names the
    version the person saw. ``sha256`` pins the content: the digest of the UTF-8
    text when the notice has text, otherwise of the URL string itself (the page
    behind a URL can change; the digest then proves only which URL was shown).
    """

    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="notices")
    version = models.CharField(max_length=50, help_text="For example v3 or 2026-03.")
    language = models.CharField(max_length=35, default="en", help_text="BCP 47 language tag, for example en or de-DE.")
    effective_at = models.DateTimeField(verbose_name="effective from")
    text = models.TextField(blank=True)
    url = models.URLField(max_length=1000, blank=True, verbose_name="URL")
    sha256 = models.CharField(max_length=64, verbose_name="SHA-256", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["purpose", "-effective_at", "-pk"]
        verbose_name = "privacy notice"
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="consent_privacynotice_unique_version"),
            models.CheckConstraint(condition=~Q(text="") | ~Q(url=""), name="consent_privacynotice_text_or_url"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose.code} notice {self.version}"
