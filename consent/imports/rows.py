"""Checking one import row by the rules ``record_consent`` applies, without a query per row.

The purposes and notices rows name are read once per batch (``Catalog``);
everything else about a row is checked from its own values. A row that passes
becomes an ``ImportRow``; one that does not yields its reason, each problem
prefixed by the field it concerns, in the services' own words.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError

from consent.imports.reading import EVIDENCE_FIELDS, RawRow
from consent.jurisdictions import parse_jurisdiction
from consent.models import RECORDABLE_STATUSES, CollectionMethod, ConsentStatus, PrivacyNotice, Purpose
from consent.services import clean_evidence
# The same checks, and so the same messages, as a consent recorded one at a time.
from consent.services.records import clean_event_id, clean_event_moment, clean_recordable_status
from consent.services.subjects import clean_external_id
from datasets.services.common import FieldErrors, clean_choice, clean_text

SHOWN_VALUE_LENGTH = 40
RECORDABLE = frozenset(RECORDABLE_STATUSES)
COLLECTION_METHODS = frozenset(CollectionMethod.values)


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A row ready to record: the purpose and notice resolved, the evidence as stored."""

    line: int
    subject: str
    purpose_id: int
    purpose_code: str
    status: str
    notice_id: int | None
    collection_method: str
    occurred_at: datetime
    expires_at: datetime | None
    event_id: str | None
    # The event's jurisdiction as given; None means the subject's own.
    jurisdiction: str | None
    reason: str
    evidence: dict[str, str]
    event_uuid: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def subject_country(self) -> str:
        """The country a subject created by this row gets (empty when the row names none)."""
        return (self.jurisdiction or "").partition("-")[0]

    @property
    def subject_region(self) -> str:
        return (self.jurisdiction or "").partition("-")[2]


@dataclass
class Catalog:
    """The purposes (code → id, active) and their notices ((purpose id, version) → id), read in two queries."""

    purposes: dict[str, tuple[int, bool]]
    notices: dict[tuple[int, str], int]
    versions: dict[int, list[str]]

    @classmethod
    def load(cls) -> "Catalog":
        """Read every purpose and notice now."""
        versions: dict[int, list[str]] = {}
        notices = {}
        for pk, purpose_id, version in PrivacyNotice.objects.order_by("effective_at", "pk").values_list("pk", "purpose_id", "version"):
            notices[(purpose_id, version)] = pk
            versions.setdefault(purpose_id, []).append(version)
        purposes = {code: (pk, active) for pk, code, active in Purpose.objects.values_list("pk", "code", "active")}
        return cls(purposes=purposes, notices=notices, versions=versions)


def _shown(value: str) -> str:
    return repr(value if len(value) <= SHOWN_VALUE_LENGTH else value[:SHOWN_VALUE_LENGTH] + "…")


def _text(value, *, name: str) -> str:
    """Return a field's value as text: JSON numbers are read as their digits, other non-text refused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValidationError(f"Give {name} as text.")


def _moment(value, *, name: str, now: datetime) -> datetime | None:
    text = _text(value, name=name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{_shown(text)} is not a date and time: give {name} in ISO 8601 with its time zone, "
            "for example 2026-03-01T09:30:00Z."
        ) from None
    return clean_event_moment(moment, label=name, now=now, not_after_now=name == "occurred_at")


def _evidence(fields: Mapping) -> Mapping | None:
    if "evidence" in fields:
        return fields["evidence"]
    given = {name: fields[name] for name in EVIDENCE_FIELDS if fields.get(name)}
    return given or None


def _notice(errors: FieldErrors, catalog: Catalog, *, purpose: tuple[int, str], version: str, status: str) -> int | None:
    purpose_id, code = purpose
    if not version:
        if status == ConsentStatus.GRANTED:
            errors.add("notice_version", "A grant names the notice version the person saw: give notice_version.")
        return None
    notice_id = catalog.notices.get((purpose_id, version))
    if notice_id is None:
        published = catalog.versions.get(purpose_id, [])
        known = f"published versions: {', '.join(published)}" if published else "it has no published notice yet"
        errors.add("notice_version", f"{code} has no notice version {version!r} ({known}).")
    return notice_id


def _status(value) -> str:
    text = _text(value, name="status")
    return text if text in RECORDABLE else clean_recordable_status(text)


def _collection_method(value) -> str:
    text = _text(value, name="collection_method")
    return text if text in COLLECTION_METHODS else clean_choice(text, CollectionMethod, label="collection method")


def _jurisdiction(value) -> str | None:
    text = _text(value, name="jurisdiction")
    return parse_jurisdiction(text).code if text else None


def clean_row(raw: RawRow, *, catalog: Catalog, now: datetime) -> ImportRow | str:
    """Return the row ready to record, or the reason it must be skipped."""
    if raw.problem:
        return raw.problem
    fields = raw.fields
    errors = FieldErrors()
    subject = errors.check("subject", lambda: clean_external_id(_text(fields.get("subject"), name="subject")), "")
    code = errors.check("purpose", lambda: _text(fields.get("purpose"), name="purpose"), "")
    purpose = catalog.purposes.get(code)
    if code and purpose is None:
        errors.add("purpose", f"No purpose has the code {code!r}.")
    elif not code and "purpose" not in errors.by_field:
        errors.add("purpose", "Give the purpose's code.")
    status = errors.check("status", lambda: _status(fields.get("status")), "")
    collection_method = errors.check("collection_method", lambda: _collection_method(fields.get("collection_method")), "")
    occurred_at = errors.check("occurred_at", lambda: _moment(fields.get("occurred_at"), name="occurred_at", now=now)) or now
    expires_at = errors.check("expires_at", lambda: _moment(fields.get("expires_at"), name="expires_at", now=now))
    if expires_at and status and status != ConsentStatus.GRANTED:
        errors.add("expires_at", "Only a grant can expire; leave expires_at empty for a withdrawal or refusal.")
    elif expires_at and expires_at <= occurred_at:
        errors.add("expires_at", "expires_at must be after occurred_at.")
    notice_id = None
    if purpose is not None:
        version = errors.check("notice_version", lambda: _text(fields.get("notice_version"), name="notice_version"), "")
        notice_id = _notice(errors, catalog, purpose=(purpose[0], code), version=version, status=status)
        if status == ConsentStatus.GRANTED and not purpose[1]:
            errors.add("purpose", f"The purpose {code} is inactive: it takes no new consents.")
    jurisdiction = errors.check("jurisdiction", lambda: _jurisdiction(fields.get("jurisdiction")))
    event_id = errors.check("event_id", lambda: clean_event_id(_text(fields.get("event_id"), name="event_id")))
    reason = errors.check("reason", lambda: clean_text(_text(fields.get("reason"), name="reason"), label="reason", max_length=500), "")
    evidence = _evidence(fields)
    evidence = errors.check("evidence", lambda: clean_evidence(evidence), {}) if evidence else {}
    if errors.by_field:
        return "; ".join(f"{name}: {message}" for name, messages in errors.by_field.items() for message in messages)
    return ImportRow(
        line=raw.line,
        subject=subject,
        purpose_id=purpose[0],
        purpose_code=code,
        status=status,
        notice_id=notice_id,
        collection_method=collection_method,
        occurred_at=occurred_at,
        expires_at=expires_at,
        event_id=event_id,
        jurisdiction=jurisdiction,
        reason=reason,
        evidence=evidence,
    )
