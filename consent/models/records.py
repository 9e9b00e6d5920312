"""Consent records: the append-only event log and the current state it maintains."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from consent.models.choices import CollectionMethod, ConsentStatus
from consent.models.purposes import PrivacyNotice, Purpose
from consent.models.subjects import DataSubject


class AppendOnlyError(Exception):
    """A consent event was about to be changed or deleted; the log only grows."""


class ConsentEvent(models.Model):
    """One thing a person did about one purpose: granted, withdrew, refused; or their consent expired.

    Append-only: the model refuses to save an existing row or delete one, the
    database refuses UPDATE (a trigger installed by migration), and foreign keys
    to it and from it protect. ``occurred_at`` is when the person acted,
    ``recorded_at`` when Custos learnt of it; events may arrive out of order,
    and only the newest by ``occurred_at`` sets the current state
    (``ConsentState``). A client ``event_id`` makes re-sending idempotent.
    Evidence never holds an address or user agent in clear: the IP is kept
    truncated (a /24 or /48 network) or as the client's hash, the user agent as
    its SHA-256.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.PROTECT, related_name="consent_events")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="consent_events")
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    occurred_at = models.DateTimeField(verbose_name="occurred at")
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name="recorded at")
    notice = models.ForeignKey(
        PrivacyNotice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consent_events",
        help_text="The notice version the person saw; always set for a grant.",
    )
    collection_method = models.CharField(
        max_length=16,
        choices=CollectionMethod.choices,
        blank=True,
        verbose_name="collection method",
        help_text="Empty only for expiry, which Custos records itself.",
    )
    jurisdiction = models.CharField(max_length=6, blank=True, help_text="Where the person was: GB, US-CA…")
    evidence_ip = models.CharField(
        max_length=64,
        blank=True,
        verbose_name="IP network",
        help_text="The client's address truncated to its /24 (IPv4) or /48 (IPv6) network.",
    )
    evidence_ip_hash = models.CharField(max_length=64, blank=True, verbose_name="IP hash", help_text="As the client sent it.")
    evidence_user_agent_hash = models.CharField(max_length=64, blank=True, verbose_name="user-agent hash (SHA-256)")
    source_system = models.CharField(max_length=100, blank=True, verbose_name="source system")
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name="expires at")
    event_id = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        verbose_name="client event id",
        help_text="The sender's id for the event; re-sending it returns the event already recorded.",
    )
    recorded_by = models.CharField(max_length=150, blank=True, verbose_name="recorded by", help_text="User or API key, by name.")
    reason = models.CharField(max_length=500, blank=True, help_text="Why, for example 'paper form received 3 March'.")

    class Meta:
        ordering = ["-occurred_at", "-recorded_at"]
        verbose_name = "consent event"
        constraints = [
            models.UniqueConstraint(fields=["event_id"], condition=Q(event_id__isnull=False), name="consent_event_unique_event_id"),
            models.CheckConstraint(
                condition=Q(status=ConsentStatus.GRANTED, notice__isnull=False) | ~Q(status=ConsentStatus.GRANTED),
                name="consent_event_grant_names_notice",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(status=ConsentStatus.GRANTED, expires_at__gt=F("occurred_at")),
                name="consent_event_expiry_after_grant",
            ),
            models.CheckConstraint(
                condition=~Q(collection_method="") | Q(status=ConsentStatus.EXPIRED),
                name="consent_event_collection_method_set",
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "occurred_at"], name="consent_event_subject_time"),
            models.Index(fields=["purpose", "occurred_at"], name="consent_event_purpose_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.purpose_id} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Consent events are append-only: record a new event instead of changing this one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Consent events are append-only and cannot be deleted.")


class ConsentState(models.Model):
    """The current consent of one subject for one purpose: the newest event by ``occurred_at``.

    Updated in the same transaction as each event, so "may we?" is one indexed
    lookup (``consent.selectors.check_consent``). A grant past ``expires_at``
    is not allowed even before the lapse task records its ``expired`` event.
    """

    subject = models.ForeignKey(DataSubject, on_delete=models.PROTECT, related_name="consent_states")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="consent_states")
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    occurred_at = models.DateTimeField(verbose_name="since")
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name="expires at")
    notice = models.ForeignKey(PrivacyNotice, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_event = models.ForeignKey(ConsentEvent, on_delete=models.PROTECT, related_name="+", verbose_name="last event")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "consent state"
        constraints = [
            models.UniqueConstraint(fields=["subject", "purpose"], name="consent_state_one_per_subject_purpose"),
        ]
        indexes = [
            # The lapse task's scan: granted consents whose expiry has passed.
            models.Index(fields=["status", "expires_at"], name="consent_state_expiry"),
            models.Index(fields=["purpose", "status"], name="consent_state_coverage"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} × {self.purpose_id}: {self.status}"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def effective_status(self) -> str:
        """The status, reading a grant past its expiry as expired."""
        if self.status == ConsentStatus.GRANTED and self.is_expired():
            return ConsentStatus.EXPIRED
        return self.status
