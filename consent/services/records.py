"""Writes of consent records: recording events, withdrawing, and lapsing expired consents.

Each event is appended and, in the same transaction, the subject × purpose
state moves to it unless a newer event (by ``occurred_at``) already set it:
events that arrive late are kept in the history without rewinding the state.
"""

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.accounts.sessions import truncate_ip
from compliance.audit.actors import SystemActor, describe_actor
from compliance.audit.services import record_event
from consent.jurisdictions import parse_jurisdiction
from consent.models import (
    RECORDABLE_STATUSES,
    CollectionMethod,
    ConsentEvent,
    ConsentState,
    ConsentStatus,
    DataSubject,
    PrivacyNotice,
    Purpose,
)
from consent.services.errors import ConsentActionRefused
from consent.services.subjects import upsert_subject
from datasets.services.common import FieldErrors, clean_choice, clean_text

EXPIRY_ACTOR = SystemActor("consent expiry")
# A clock a little ahead of ours is not "the future"; a day ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
EVIDENCE_KEYS = ("ip", "ip_hash", "user_agent", "user_agent_hash", "source_system")
MAX_EVENT_ID_LENGTH = 200
LAPSE_BATCH_SIZE = 500


def clean_recordable_status(value) -> str:
    """Return a status a caller may record (granted, withdrawn, refused); ValidationError with the reason otherwise."""
    if value == ConsentStatus.EXPIRED:
        raise ValidationError("Custos records expiry itself when a consent's expires_at passes; record granted, withdrawn or refused.")
    if value not in RECORDABLE_STATUSES:
        raise ValidationError(f"Unknown status {value!r}. Use one of: {', '.join(RECORDABLE_STATUSES)}.")
    return str(value)


def clean_event_moment(value, *, label: str, now: datetime, not_after_now: bool = False) -> datetime:
    """Return ``value`` if it is an aware datetime (and, with ``not_after_now``, not in the future); ValidationError naming ``label``."""
    if not isinstance(value, datetime):
        raise ValidationError(f"Give {label} as a date and time.")
    if timezone.is_naive(value):
        raise ValidationError(f"Give {label} with its time zone, for example 2026-03-01T09:30:00Z.")
    if not_after_now and value > now + CLOCK_SKEW:
        raise ValidationError(f"{label} is in the future; give the time the person acted.")
    return value


def clean_event_id(value) -> str | None:
    """Return the caller's event id stripped (None when empty); ValidationError when longer than the limit."""
    if value is None:
        return None
    event_id = str(value).strip()
    if not event_id:
        return None
    if len(event_id) > MAX_EVENT_ID_LENGTH:
        raise ValidationError(f"The event id is {len(event_id)} characters long; the limit is {MAX_EVENT_ID_LENGTH}.")
    return event_id


def _clean_hash(value, *, label: str) -> str:
    digest = str(value).strip().lower()
    if not SHA256_HEX.match(digest):
        raise ValidationError(f"Give {label} as the 64 hexadecimal digits of a SHA-256.")
    return digest


def clean_evidence(evidence: Mapping[str, str] | None) -> dict[str, str]:
    """Return the evidence as stored: the IP truncated to its network, the user agent as its SHA-256.

    Accepts ``ip`` or ``ip_hash`` (the client's own hash), ``user_agent`` or
    ``user_agent_hash``, and ``source_system``. Raises ValidationError for
    anything else, without repeating the values.
    """
    if evidence is None:
        return {}
    if not isinstance(evidence, Mapping):
        raise ValidationError("Give the evidence as an object with " + ", ".join(EVIDENCE_KEYS) + ".")
    unknown = sorted(str(key) for key in evidence if key not in EVIDENCE_KEYS)
    if unknown:
        raise ValidationError(f"Unknown evidence {', '.join(unknown)}; use {', '.join(EVIDENCE_KEYS)}.")
    cleaned = {"evidence_ip": "", "evidence_ip_hash": "", "evidence_user_agent_hash": "", "source_system": ""}
    if evidence.get("ip"):
        network = truncate_ip(str(evidence["ip"]).strip())
        if not network:
            raise ValidationError("The evidence ip is not an IPv4 or IPv6 address.")
        cleaned["evidence_ip"] = network
    if evidence.get("ip_hash"):
        cleaned["evidence_ip_hash"] = _clean_hash(evidence["ip_hash"], label="ip_hash")
    if evidence.get("user_agent"):
        cleaned["evidence_user_agent_hash"] = hashlib.sha256(str(evidence["user_agent"]).encode("utf-8")).hexdigest()
    if evidence.get("user_agent_hash"):
        cleaned["evidence_user_agent_hash"] = _clean_hash(evidence["user_agent_hash"], label="user_agent_hash")
    if evidence.get("source_system"):
        cleaned["source_system"] = clean_text(evidence["source_system"], label="source system", max_length=100)
    return cleaned


def _notice(errors: FieldErrors, *, purpose: Purpose, version, status: str) -> PrivacyNotice | None:
    version = "" if version is None else str(version).strip()
    if not version:
        if status == ConsentStatus.GRANTED:
            errors.add("notice_version", "A grant names the notice version the person saw: give notice_version.")
        return None
    notice = PrivacyNotice.objects.filter(purpose=purpose, version=version).first()
    if notice is None:
        published = list(PrivacyNotice.objects.filter(purpose=purpose).order_by("effective_at", "pk").values_list("version", flat=True))
        known = f"published versions: {', '.join(published)}" if published else "it has no published notice yet"
        errors.add("notice_version", f"{purpose.code} has no notice version {version!r} ({known}).")
    return notice


def _replayed(existing: ConsentEvent, *, subject_external_id: str, purpose_code: str, status: str) -> ConsentEvent:
    """Return the event a re-sent event id names, or refuse when the id was used for a different consent."""
    if (existing.subject.external_id, existing.purpose.code, existing.status) != (subject_external_id, purpose_code, status):
        raise ValidationError(
            {
                "event_id": [
                    f"The event id {existing.event_id!r} was already used for another consent "
                    f"(recorded {existing.recorded_at:%Y-%m-%d %H:%M} UTC); give each new event its own id."
                ]
            }
        )
    existing.replayed = True
    return existing


def _existing_event(event_id: str | None) -> ConsentEvent | None:
    if event_id is None:
        return None
    return ConsentEvent.objects.select_related("subject", "purpose", "notice").filter(event_id=event_id).first()


def _apply(state: ConsentState, event: ConsentEvent, carried_notice_id: int | None = None) -> None:
    state.status = event.status
    state.occurred_at = event.occurred_at
    state.expires_at = event.expires_at
    # A withdrawal names no notice: the state keeps the version the consent was given under,
    # whether that grant came earlier in the same batch (carried) or before it.
    state.notice_id = event.notice_id or carried_notice_id or state.notice_id
    state.last_event = event


@transaction.atomic
def advance_states(*, events: Sequence[ConsentEvent]) -> int:
    """Move each subject × purpose state to the newest of ``events`` for it; return how many states moved.

    For writers that insert events themselves (the bulk import), in their
    transaction, after the insert: the same rule as ``record_consent``, which
    calls it too. A state moves only to an event at least as new (by
    ``occurred_at``) as its current one, so late events never rewind it.
    Existing states are locked; two writers creating the same state at once
    both succeed, the second moving the first's row.
    """
    newest: dict[tuple, ConsentEvent] = {}
    noticed: dict[tuple, ConsentEvent] = {}  # the newest event naming a notice
    for event in events:
        key = (event.subject_id, event.purpose_id)
        if key not in newest or event.occurred_at >= newest[key].occurred_at:
            newest[key] = event
        if event.notice_id and (key not in noticed or event.occurred_at >= noticed[key].occurred_at):
            noticed[key] = event
    if not newest:
        return 0
    existing = {
        (state.subject_id, state.purpose_id): state
        for state in ConsentState.objects.select_for_update().filter(
            subject_id__in={key[0] for key in newest}, purpose_id__in={key[1] for key in newest}
        )
    }
    created, moved = [], []
    for key, event in newest.items():
        state = existing.get(key)
        carrier = noticed.get(key)
        if state is None:
            state = ConsentState(subject_id=event.subject_id, purpose_id=event.purpose_id)
            _apply(state, event, carrier.notice_id if carrier else None)
            created.append(state)
        elif event.occurred_at >= state.occurred_at:
            _apply(state, event, carrier.notice_id if carrier and carrier.occurred_at >= state.occurred_at else None)
            state.updated_at = timezone.now()
            moved.append(state)
    try:
        with transaction.atomic():
            ConsentState.objects.bulk_create(created)
    except IntegrityError:
        # Another writer created one of these states since we looked: lock theirs and move it.
        return len(moved) + advance_states(events=[state.last_event for state in created])
    ConsentState.objects.bulk_update(moved, ["status", "occurred_at", "expires_at", "notice", "last_event", "updated_at"])
    return len(created) + len(moved)


@transaction.atomic
def record_consent(
    *,
    actor,
    subject: DataSubject,
    purpose: Purpose,
    status: str,
    collection_method: str,
    notice_version: str | None = None,
    occurred_at: datetime | None = None,
    expires_at: datetime | None = None,
    event_id: str | None = None,
    evidence: Mapping[str, str] | None = None,
    reason: str = "",
    jurisdiction: str | None = None,
) -> ConsentEvent:
    """Append a consent event (granted, withdrawn or refused) and move the current state to it.

    ``notice_version`` must name a published notice of ``purpose``; a grant
    always names one. ``occurred_at`` defaults to now and may not be in the
    future; an event older than the current state is recorded but leaves the
    state alone. ``expires_at`` applies to grants. A given ``event_id`` makes
    re-sending idempotent: the event already recorded under it is returned
    with ``replayed`` set to True (False on a new event), and nothing is
    written; the same id with another subject, purpose or status raises
    ValidationError. ``jurisdiction`` defaults to the subject's.
    """
    now = timezone.now()
    errors = FieldErrors()
    event_id = errors.check("event_id", lambda: clean_event_id(event_id))
    existing = _existing_event(event_id)
    if existing is not None:
        return _replayed(existing, subject_external_id=subject.external_id, purpose_code=purpose.code, status=status)

    status = errors.check("status", lambda: clean_recordable_status(status), "")
    errors.check("collection_method", lambda: clean_choice(collection_method, CollectionMethod, label="collection method"))
    occurred_at = errors.check(
        "occurred_at",
        lambda: now if occurred_at is None else clean_event_moment(occurred_at, label="occurred_at", now=now, not_after_now=True),
    )
    if expires_at is not None:
        expires_at = errors.check("expires_at", lambda: clean_event_moment(expires_at, label="expires_at", now=now))
        if expires_at and status and status != ConsentStatus.GRANTED:
            errors.add("expires_at", "Only a grant can expire; leave expires_at empty for a withdrawal or refusal.")
        elif expires_at and occurred_at and expires_at <= occurred_at:
            errors.add("expires_at", "expires_at must be after occurred_at.")
    notice = _notice(errors, purpose=purpose, version=notice_version, status=status)
    if status == ConsentStatus.GRANTED and not purpose.active:
        errors.add("purpose", f"The purpose {purpose.code} is inactive: it takes no new consents.")
    place = subject.jurisdiction_code if jurisdiction is None else errors.check(
        "jurisdiction", lambda: parse_jurisdiction(jurisdiction).code if str(jurisdiction).strip() else "", ""
    )
    stored_evidence = errors.check("evidence", lambda: clean_evidence(evidence), {})
    reason = errors.check("reason", lambda: clean_text(reason, label="reason", max_length=500), "")
    errors.raise_if_any()

    try:
        with transaction.atomic():
            event = ConsentEvent.objects.create(
                subject=subject,
                purpose=purpose,
                status=status,
                occurred_at=occurred_at,
                recorded_at=now,
                notice=notice,
                collection_method=collection_method,
                jurisdiction=place,
                expires_at=expires_at,
                event_id=event_id,
                recorded_by=describe_actor(actor)[2],
                reason=reason,
                **stored_evidence,
            )
    except IntegrityError:
        # The same event id, sent twice at once: the other request recorded it first.
        existing = _existing_event(event_id)
        if existing is None:
            raise
        return _replayed(existing, subject_external_id=subject.external_id, purpose_code=purpose.code, status=status)
    current = advance_states(events=[event]) == 1
    record_event(
        actor=actor,
        action="consent.recorded",
        target=event,
        data={
            "subject": subject.external_id,
            "purpose": purpose.code,
            "status": status,
            "notice_version": notice.version if notice else None,
            "collection_method": collection_method,
            "occurred_at": occurred_at,
            "expires_at": expires_at,
            "event_id": event_id,
            "current": current,
        },
    )
    event.replayed = False
    return event


@transaction.atomic
def record_consent_for_external_id(
    *,
    actor,
    subject_external_id: str,
    purpose_code: str,
    status: str,
    collection_method: str,
    notice_version: str | None = None,
    occurred_at: datetime | None = None,
    expires_at: datetime | None = None,
    event_id: str | None = None,
    evidence: Mapping[str, str] | None = None,
    reason: str = "",
    jurisdiction: str | None = None,
) -> ConsentEvent:
    """Record a consent for the subject and purpose named by id and code, creating the subject if unknown.

    As ``record_consent``; an unknown purpose code raises ValidationError
    (``purpose``). A new subject gets ``jurisdiction`` as its own. A re-sent
    ``event_id`` returns the recorded event before anything is created.
    """
    errors = FieldErrors()
    cleaned_event_id = errors.check("event_id", lambda: clean_event_id(event_id))
    errors.raise_if_any()
    existing = _existing_event(cleaned_event_id)
    if existing is not None:
        return _replayed(
            existing, subject_external_id=str(subject_external_id).strip(), purpose_code=str(purpose_code).strip(), status=status
        )
    purpose = Purpose.objects.filter(code=str(purpose_code or "").strip()).first()
    if purpose is None:
        raise ValidationError({"purpose": [f"No purpose has the code {purpose_code!r}."]})
    subject = DataSubject.objects.filter(external_id=str(subject_external_id or "").strip()).first()
    if subject is None:
        try:
            subject = upsert_subject(actor=actor, external_id=subject_external_id, jurisdiction=jurisdiction).subject
        except ValidationError as error:
            raise ValidationError(
                {("subject" if name == "external_id" else name): messages for name, messages in error.message_dict.items()}
            ) from None
    return record_consent(
        actor=actor,
        subject=subject,
        purpose=purpose,
        status=status,
        collection_method=collection_method,
        notice_version=notice_version,
        occurred_at=occurred_at,
        expires_at=expires_at,
        event_id=cleaned_event_id,
        evidence=evidence,
        reason=reason,
        jurisdiction=jurisdiction,
    )


def _describe_state(state: ConsentState | None) -> str:
    if state is None:
        return "has never consented to"
    return f"has {state.get_status_display().lower()} since {timezone.localtime(state.occurred_at):%d %B %Y}"


@transaction.atomic
def withdraw_consent(
    *,
    actor,
    subject: DataSubject,
    purpose: Purpose,
    reason: str,
    collection_method: str = CollectionMethod.WEB_FORM,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    evidence: Mapping[str, str] | None = None,
) -> ConsentEvent:
    """Withdraw the subject's granted consent for ``purpose``, saying why (for example "erasure request #12").

    As easy as granting: one call, recorded like any event, the state moving
    to withdrawn. Raises ConsentActionRefused when there is no grant to
    withdraw, and ValidationError (``reason``) without a reason.
    """
    if not str(reason or "").strip():
        raise ValidationError({"reason": ["Say why the consent is withdrawn, for example 'asked by email on 3 March'."]})
    state = ConsentState.objects.select_for_update().filter(subject=subject, purpose=purpose).first()
    if state is None or state.status != ConsentStatus.GRANTED:
        raise ConsentActionRefused(f"There is no consent to withdraw: {subject.external_id} {_describe_state(state)} {purpose.code}.")
    return record_consent(
        actor=actor,
        subject=subject,
        purpose=purpose,
        status=ConsentStatus.WITHDRAWN,
        collection_method=collection_method,
        occurred_at=occurred_at,
        event_id=event_id,
        evidence=evidence,
        reason=reason,
    )


def lapse_expired_consents(*, now: datetime | None = None, batch_size: int = LAPSE_BATCH_SIZE, actor=EXPIRY_ACTOR) -> int:
    """Record an ``expired`` event for every grant whose expiry has passed, in batches; return how many.

    Each batch commits on its own with one ``consent.lapsed`` audit event
    listing its events, so an interrupted run loses nothing and the next run
    picks up the rest. The expired event occurs at the grant's ``expires_at``.
    """
    now = now or timezone.now()
    total = 0
    while True:
        lapsed = _lapse_batch(now=now, batch_size=batch_size, actor=actor)
        total += lapsed
        if lapsed < batch_size:
            return total


@transaction.atomic
def _lapse_batch(*, now: datetime, batch_size: int, actor) -> int:
    states = list(
        ConsentState.objects.select_for_update(of=("self",))
        .select_related("subject", "purpose")
        .filter(status=ConsentStatus.GRANTED, expires_at__lte=now)
        .order_by("expires_at", "pk")[:batch_size]
    )
    if not states:
        return 0
    label = describe_actor(actor)[2]
    events = ConsentEvent.objects.bulk_create(
        [
            ConsentEvent(
                subject=state.subject,
                purpose=state.purpose,
                status=ConsentStatus.EXPIRED,
                occurred_at=state.expires_at,
                recorded_at=now,
                notice=state.notice,
                jurisdiction=state.subject.jurisdiction_code,
                recorded_by=label,
                reason="The consent's expiry date passed.",
            )
            for state in states
        ]
    )
    for state, event in zip(states, events, strict=True):
        state.status = ConsentStatus.EXPIRED
        state.occurred_at = event.occurred_at
        state.last_event = event
        state.updated_at = now
    ConsentState.objects.bulk_update(states, ["status", "occurred_at", "last_event", "updated_at"])
    record_event(
        actor=actor,
        action="consent.lapsed",
        data={
            "count": len(events),
            "events": [
                {"event": str(event.pk), "subject": state.subject.external_id, "purpose": state.purpose.code}
                for state, event in zip(states, events, strict=True)
            ],
        },
    )
    return len(events)
