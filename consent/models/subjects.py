"""Data subjects: the people whose consent and data Custos keeps track of."""

import uuid

from django.db import models

from compliance.crypto.fields import BlindIndexField, EncryptedTextField
from consent.jurisdictions import Jurisdiction, Regime, regime_for


class DataSubject(models.Model):
    """A person, known by the product's pseudonymous ``external_id``.

    Email, phone and name are encrypted with the row's id as associated data;
    the email and phone each carry a blind index for exact-match search. Pages
    show them masked; a DPO may reveal them, which is audited. The jurisdiction
    (country, and US state where known) decides which regime's clocks apply to
    the person's requests: ``regime``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    external_id = models.CharField(
        max_length=255,
        unique=True,
        verbose_name="external id",
        help_text="The product's pseudonymous id for the person; case-sensitive.",
    )
    email = EncryptedTextField(null=True, blank=True, help_text="Encrypted; stored normalised (lower case).")
    email_index = BlindIndexField(source="email", kind="email", verbose_name="email blind index")
    phone = EncryptedTextField(null=True, blank=True, help_text="Encrypted; stored in E.164 form.")
    phone_index = BlindIndexField(source="phone", kind="phone", verbose_name="phone blind index")
    name = EncryptedTextField(null=True, blank=True, help_text="Encrypted.")
    jurisdiction_country = models.CharField(
        max_length=2,
        blank=True,
        verbose_name="country",
        help_text="ISO 3166-1 alpha-2 code, for example GB; empty when unknown.",
    )
    jurisdiction_region = models.CharField(
        max_length=3,
        blank=True,
        verbose_name="region",
        help_text="Subdivision where it matters, for example CA (California) for the United States.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "external_id"]
        verbose_name = "data subject"
        permissions = [("reveal_identifiers", "Can reveal a data subject's identifiers in clear")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(jurisdiction_region="") | ~models.Q(jurisdiction_country=""),
                name="consent_datasubject_region_needs_country",
            ),
        ]
        indexes = [
            # The subject list's keyset paging: newest first, ties by external id (consent.paging).
            models.Index(fields=["created_at", "external_id"], name="consent_subject_keyset"),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def jurisdiction(self) -> Jurisdiction | None:
        if not self.jurisdiction_country:
            return None
        return Jurisdiction(country=self.jurisdiction_country, region=self.jurisdiction_region)

    @property
    def jurisdiction_code(self) -> str:
        """``GB``, ``US-CA``, or empty when unknown."""
        jurisdiction = self.jurisdiction
        return jurisdiction.code if jurisdiction else ""

    @property
    def regime(self) -> str:
        """The regime for this person's requests: ``gdpr``, ``ccpa`` or ``policy`` (see jurisdictions.regime_for)."""
        return regime_for(self.jurisdiction_country, self.jurisdiction_region)

    @property
    def regime_label(self) -> str:
        return Regime(self.regime).label
