"""Handing out consent receipts: each download is an export, and every export is audited."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from compliance.audit.services import record_event
from consent import receipts
from consent.models import ConsentEvent, DataSubject

RECEIPT_FORMATS = ("iso", "kantara")


@transaction.atomic
def export_subject_receipt(*, actor, subject: DataSubject) -> dict[str, Any]:
    """Return the subject's ISO/IEC TS 27560 receipt and record the export (``subject.receipt_exported``)."""
    document = receipts.iso_receipt_for_subject(subject)
    record_event(
        actor=actor,
        action="subject.receipt_exported",
        target=subject,
        data={"external_id": subject.external_id, "format": "iso", "events": len(document["events"])},
    )
    return document


@transaction.atomic
def export_event_receipt(*, actor, event: ConsentEvent, format: str = "iso") -> dict[str, Any]:
    """Return one event's receipt, ISO/IEC TS 27560 (``iso``) or Kantara v1.1 (``kantara``), and record the export.

    Raises ValidationError for another format.
    """
    if format not in RECEIPT_FORMATS:
        raise ValidationError(f"Unknown receipt format {format!r}: use iso or kantara.")
    document = receipts.kantara_receipt_for_event(event) if format == "kantara" else receipts.iso_receipt_for_event(event)
    record_event(
        actor=actor,
        action="consent.receipt_exported",
        target=event,
        data={"subject": event.subject.external_id, "purpose": event.purpose.code, "format": format},
    )
    return document
