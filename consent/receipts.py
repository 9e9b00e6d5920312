"""Consent receipts: what a person (or an auditor) is handed as proof of a consent record.

Two forms:

* ISO/IEC TS 27560:2023 records, per event and per subject: record id,
  schema version, PII principal id, purposes with their lawful basis and
  notice, controller, collection method, jurisdiction, retention and storage
  locations (from the datasets each purpose feeds), withdrawal method, and
  the events with their time, type and resulting state;
* Kantara Initiative Consent Receipt v1.1, per event.

Receipts carry the pseudonymous external id, never an identifier in clear, and
name storage locations by dataset, name and kind, never by their connection
settings.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from consent.models import ConsentEvent, ConsentStatus, DataSubject, PrivacyNotice, Purpose
from consent.selectors import consent_states_for_subject, datasets_for_purpose, events_for_subject
from datasets.models import DataCategory

ISO_SCHEMA_VERSION = "ISO/IEC TS 27560:2023"
ISO_PROFILE = "custos-27560-receipt/1"
KANTARA_VERSION = "KI-CR-v1.1.0"
# Kantara v1.1's "sensitive personal information" categories, from the registry's data categories.
SENSITIVE_CATEGORIES = (
    DataCategory.HEALTH,
    DataCategory.BIOMETRIC,
    DataCategory.CHILDREN,
    DataCategory.SPECIAL_CATEGORY,
    DataCategory.FINANCIAL,
)
VALID = "valid"
INVALID = "invalid"


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def controller() -> dict[str, str]:
    """Return the data controller as receipts name it (settings CUSTOS_CONTROLLER_*)."""
    return {
        "name": settings.CUSTOS_CONTROLLER_NAME,
        "contact": settings.CUSTOS_CONTROLLER_CONTACT,
        "address": settings.CUSTOS_CONTROLLER_ADDRESS,
    }


def withdrawal_method() -> str:
    """Return how a person withdraws consent, as receipts tell them (setting CUSTOS_WITHDRAWAL_METHOD)."""
    return settings.CUSTOS_WITHDRAWAL_METHOD


def _notice(notice: PrivacyNotice | None) -> dict[str, Any] | None:
    if notice is None:
        return None
    return {
        "version": notice.version,
        "language": notice.language,
        "effective_at": _time(notice.effective_at),
        "url": notice.url or None,
        "sha256": notice.sha256,
        "sha256_of": "text" if notice.text else "url",
    }


class PurposeFacts:
    """What the datasets a purpose feeds say about it: retention, storage locations, data categories."""

    def __init__(self, purpose: Purpose):
        self.purpose = purpose
        self.datasets = list(datasets_for_purpose(purpose_code=purpose.code).prefetch_related("locations"))

    def retention(self) -> list[dict[str, Any]]:
        return [
            {
                "dataset": dataset.name,
                "retention_days": dataset.retention_days,
                "at_end": dataset.retention_action,
            }
            for dataset in self.datasets
        ]

    def storage_locations(self) -> list[dict[str, str]]:
        return [
            {"dataset": dataset.name, "location": location.name, "kind": location.kind}
            for dataset in self.datasets
            for location in sorted(dataset.locations.all(), key=lambda location: location.name)
        ]

    def categories(self) -> list[str]:
        present = {code for dataset in self.datasets for code in dataset.data_categories}
        return [code for code in DataCategory.values if code in present]


def _purpose_entry(purpose: Purpose, facts: PurposeFacts, *, notice, collection_method: str, state: str) -> dict[str, Any]:
    return {
        "purpose_id": purpose.code,
        "purpose": purpose.name,
        "description": purpose.description,
        "lawful_basis": purpose.lawful_basis,
        "lawful_basis_label": purpose.get_lawful_basis_display(),
        "consent_required": purpose.consent_required,
        "notice": _notice(notice),
        "collection_method": collection_method or None,
        "state": state,
        "retention": facts.retention(),
        "storage_locations": facts.storage_locations(),
    }


def _event_entry(event: ConsentEvent, *, current: bool | None = None) -> dict[str, Any]:
    entry = {
        "event_id": str(event.pk),
        "client_event_id": event.event_id,
        "purpose_id": event.purpose.code,
        "time": _time(event.occurred_at),
        "recorded_at": _time(event.recorded_at),
        "type": event.status,
        "state": VALID if event.status == ConsentStatus.GRANTED else INVALID,
        "notice_version": event.notice.version if event.notice else None,
        "collection_method": event.collection_method or None,
        "expires_at": _time(event.expires_at),
    }
    if current is not None:
        entry["current"] = current
    return entry


def _envelope(*, record_id: str, subject: DataSubject, jurisdiction: str) -> dict[str, Any]:
    return {
        "schema_version": ISO_SCHEMA_VERSION,
        "profile": ISO_PROFILE,
        "record_id": record_id,
        "created_at": _time(timezone.now()),
        "pii_principal_id": subject.external_id,
        "controller": controller(),
        "jurisdiction": jurisdiction or None,
        "withdrawal_method": withdrawal_method(),
    }


def iso_receipt_for_event(event: ConsentEvent) -> dict[str, Any]:
    """Return the ISO/IEC TS 27560 receipt of one consent event."""
    facts = PurposeFacts(event.purpose)
    state = VALID if event.status == ConsentStatus.GRANTED else INVALID
    receipt = _envelope(record_id=str(event.pk), subject=event.subject, jurisdiction=event.jurisdiction)
    receipt.update(
        {
            "notice": _notice(event.notice),
            "collection_method": event.collection_method or None,
            "purposes": [_purpose_entry(event.purpose, facts, notice=event.notice, collection_method=event.collection_method, state=state)],
            "events": [_event_entry(event)],
        }
    )
    return receipt


def iso_receipt_for_subject(subject: DataSubject) -> dict[str, Any]:
    """Return the ISO/IEC TS 27560 receipt of everything recorded about one subject's consents.

    One entry per purpose the subject has a record for, with its current state
    and the notice it was given under, then every event, oldest first.
    """
    states = [row for row in consent_states_for_subject(subject=subject) if row.state is not None]
    events = events_for_subject(subject=subject)
    current = {row.state.last_event_id for row in states}
    purposes = []
    for row in states:
        purpose_state = VALID if row.status == ConsentStatus.GRANTED else INVALID
        purposes.append(
            _purpose_entry(
                row.purpose,
                PurposeFacts(row.purpose),
                notice=row.state.notice,
                collection_method=row.state.last_event.collection_method,
                state=purpose_state,
            )
            | {"status": row.status, "since": _time(row.state.occurred_at), "expires_at": _time(row.state.expires_at)}
        )
    receipt = _envelope(record_id=f"subject:{subject.pk}", subject=subject, jurisdiction=subject.jurisdiction_code)
    receipt.update(
        {
            "collection_methods": sorted({event.collection_method for event in events if event.collection_method}),
            "purposes": purposes,
            "events": [_event_entry(event, current=event.pk in current) for event in events],
        }
    )
    return receipt


def _sensitive(categories: Iterable[str]) -> list[str]:
    present = set(categories)
    return [code for code in SENSITIVE_CATEGORIES if code in present]


def kantara_receipt_for_event(event: ConsentEvent) -> dict[str, Any]:
    """Return the Kantara Initiative Consent Receipt v1.1 of one consent event."""
    facts = PurposeFacts(event.purpose)
    named = controller()
    notice = event.notice
    sensitive = _sensitive(facts.categories())
    termination = (
        f"Expires at {_time(event.expires_at)}; or withdraw: {withdrawal_method()}"
        if event.expires_at
        else f"Withdraw at any time: {withdrawal_method()}"
    )
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": event.jurisdiction or event.subject.jurisdiction_code or "",
        "consentTimestamp": int(event.occurred_at.timestamp()),
        "collectionMethod": event.get_collection_method_display() if event.collection_method else "Recorded by Custos",
        "consentReceiptID": str(event.pk),
        "language": notice.language if notice else "en",
        "piiPrincipalId": event.subject.external_id,
        "piiControllers": [
            {
                "piiController": named["name"],
                "contact": named["contact"],
                "address": named["address"],
                "email": named["contact"] if "@" in named["contact"] else "",
                "phone": "",
            }
        ],
        "policyUrl": (notice.url if notice and notice.url else settings.CUSTOS_PRIVACY_POLICY_URL),
        "services": [
            {
                "service": event.purpose.name,
                "purposes": [
                    {
                        "purpose": event.purpose.description or event.purpose.name,
                        "purposeCategory": [event.purpose.code],
                        "consentType": "EXPLICIT" if event.purpose.consent_required else "IMPLICIT",
                        "piiCategory": facts.categories(),
                        "primaryPurpose": True,
                        "termination": termination,
                        "thirdPartyDisclosure": False,
                        "status": event.status,
                    }
                ],
            }
        ],
        "sensitive": bool(sensitive),
        "spiCat": sensitive,
    }
