"""Every write to consent records, one module per concept; import them from here.

Each service takes keyword arguments, runs in one transaction and records its
audit event in it, naming subjects by their pseudonymous external id and never
an identifier in clear. Invalid input raises ``ValidationError`` keyed by
field; a change the current state does not allow raises
``ConsentActionRefused``; a user without the right raises ``PermissionDenied``.
"""

from consent.services.errors import ConsentActionRefused
from consent.services.exports import RECEIPT_FORMATS, export_event_receipt, export_subject_receipt
from consent.services.purposes import create_purpose, publish_notice, update_purpose
from consent.services.records import (
    advance_states,
    clean_evidence,
    lapse_expired_consents,
    record_consent,
    record_consent_for_external_id,
    withdraw_consent,
)
from consent.services.subjects import UpsertedSubject, reveal_identifiers, upsert_subject

__all__ = [
    "ConsentActionRefused",
    "RECEIPT_FORMATS",
    "UpsertedSubject",
    "advance_states",
    "clean_evidence",
    "create_purpose",
    "export_event_receipt",
    "export_subject_receipt",
    "lapse_expired_consents",
    "publish_notice",
    "record_consent",
    "record_consent_for_external_id",
    "reveal_identifiers",
    "update_purpose",
    "upsert_subject",
    "withdraw_consent",
]
