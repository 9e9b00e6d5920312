"""Recording consents: the event log, the current state, late events, idempotent re-sends, withdrawal, expiry."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.audit.models import AuditEvent
from consent.models import ConsentEvent, ConsentState, DataSubject
from consent.services import (
    ConsentActionRefused,
    lapse_expired_consents,
    publish_notice,
    record_consent,
    record_consent_for_external_id,
    update_purpose,
    withdraw_consent,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(dpo, subject, purpose):
    """``grant(**overrides)`` records a grant of marketing under notice v1."""

    def build(**overrides):
        values = dict(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="web_form")
        return record_consent(**(values | overrides))

    return build


def _state(subject, purpose) -> ConsentState:
    return ConsentState.objects.get(subject=subject, purpose=purpose)


def test_a_grant_appends_an_event_and_sets_the_state(grant, subject, purpose):
    event = grant(evidence={"ip": "198.51.100.23", "user_agent": "Mozilla/5.0", "source_system": "shop"})

    assert event.replayed is False
    assert (event.status, event.notice.version, event.jurisdiction, event.recorded_by) == ("granted", "v1", "GB", "dpo")
    assert event.evidence_ip == "198.51.100.0/24"
    assert event.evidence_user_agent_hash == hashlib.sha256(b"Mozilla/5.0").hexdigest()
    assert event.source_system == "shop"
    state = _state(subject, purpose)
    assert (state.status, state.last_event_id, state.notice.version) == ("granted", event.pk, "v1")


def test_the_event_is_audited_with_the_pseudonymous_id_only(grant, subject):
    event = grant()

    audit = AuditEvent.objects.get(action="consent.recorded")
    assert (audit.target_type, audit.target_id) == ("consent.consentevent", str(event.pk))
    assert audit.data["subject"] == "user-1"
    assert (audit.data["purpose"], audit.data["status"], audit.data["notice_version"], audit.data["current"]) == ("marketing", "granted", "v1", True)
    assert "jane" not in str(audit.data).lower()


def test_a_withdrawal_moves_the_state_and_keeps_the_notice(grant, dpo, subject, purpose):
    grant(occurred_at=timezone.now() - timedelta(days=2))

    event = record_consent(actor=dpo, subject=subject, purpose=purpose, status="withdrawn", collection_method="app")

    state = _state(subject, purpose)
    assert (state.status, state.last_event_id, state.notice.version) == ("withdrawn", event.pk, "v1")
    assert event.notice is None
    assert ConsentEvent.objects.filter(subject=subject).count() == 2


def test_an_out_of_order_event_is_recorded_but_does_not_rewind_the_state(grant, dpo, subject, purpose):
    now = timezone.now()
    withdrawal = record_consent(
        actor=dpo, subject=subject, purpose=purpose, status="withdrawn", collection_method="app", occurred_at=now - timedelta(hours=1)
    )

    late = grant(occurred_at=now - timedelta(days=3), collection_method="import")

    state = _state(subject, purpose)
    assert (state.status, state.last_event_id) == ("withdrawn", withdrawal.pk)
    assert ConsentEvent.objects.filter(pk=late.pk).exists()
    assert AuditEvent.objects.filter(action="consent.recorded").order_by("-sequence").first().data["current"] is False


def test_an_event_id_makes_resending_idempotent(grant, subject):
    first = grant(event_id="shop-123")
    events, audits = ConsentEvent.objects.count(), AuditEvent.objects.count()

    again = grant(event_id="shop-123")

    assert again.pk == first.pk and again.replayed is True
    assert ConsentEvent.objects.count() == events
    assert AuditEvent.objects.count() == audits


def test_an_event_id_reused_for_another_consent_is_refused(grant, dpo, subject, purpose):
    grant(event_id="shop-123")

    with pytest.raises(ValidationError) as refused:
        record_consent(actor=dpo, subject=subject, purpose=purpose, status="withdrawn", collection_method="app", event_id="shop-123")

    (message,) = refused.value.message_dict["event_id"]
    assert message.startswith("The event id 'shop-123' was already used for another consent (recorded ")
    assert message.endswith("); give each new event its own id.")


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"notice_version": None}, {"notice_version": ["A grant names the notice version the person saw: give notice_version."]}),
        ({"notice_version": "v9"}, {"notice_version": ["marketing has no notice version 'v9' (published versions: v1)."]}),
        ({"status": "expired"}, {"status": ["Custos records expiry itself when a consent's expires_at passes; record granted, withdrawn or refused."]}),
        ({"status": "maybe"}, {"status": ["Unknown status 'maybe'. Use one of: granted, withdrawn, refused."]}),
        ({"collection_method": "pigeon"}, {"collection_method": ["Unknown collection method 'pigeon'. Use one of: web_form, app, paper, api, import."]}),
        ({"evidence": {"ip": "somewhere"}}, {"evidence": ["The evidence ip is not an IPv4 or IPv6 address."]}),
        ({"evidence": {"cookie": "x"}}, {"evidence": ["Unknown evidence cookie; use ip, ip_hash, user_agent, user_agent_hash, source_system."]}),
        ({"evidence": {"ip_hash": "abc"}}, {"evidence": ["Give ip_hash as the 64 hexadecimal digits of a SHA-256."]}),
        ({"jurisdiction": "Atlantis"}, {"jurisdiction": ["'Atlantis' is not a jurisdiction: give an ISO 3166-1 country code such as GB, DE or FR, with the state for the United States, such as US-CA or US-NY."]}),
    ],
)
def test_bad_events_are_refused_by_field(grant, overrides, errors):
    with pytest.raises(ValidationError) as refused:
        grant(**overrides)

    assert refused.value.message_dict == errors
    assert not ConsentEvent.objects.exists()


@time_machine.travel("2026-03-01 12:00:00+00:00", tick=False)
def test_times_are_checked(grant):
    now = timezone.now()
    cases = [
        ({"occurred_at": now + timedelta(days=1)}, {"occurred_at": ["occurred_at is in the future; give the time the person acted."]}),
        ({"occurred_at": now.replace(tzinfo=None)}, {"occurred_at": ["Give occurred_at with its time zone, for example 2026-03-01T09:30:00Z."]}),
        ({"expires_at": now - timedelta(days=1)}, {"expires_at": ["expires_at must be after occurred_at."]}),
        (
            {"status": "refused", "expires_at": now + timedelta(days=1)},
            {"expires_at": ["Only a grant can expire; leave expires_at empty for a withdrawal or refusal."]},
        ),
    ]
    for overrides, errors in cases:
        with pytest.raises(ValidationError) as refused:
            grant(**overrides)
        assert refused.value.message_dict == errors


def test_a_clock_slightly_ahead_is_not_the_future(grant):
    assert grant(occurred_at=timezone.now() + timedelta(minutes=2)).status == "granted"


def test_an_inactive_purpose_takes_no_grant_but_takes_withdrawals(grant, dpo, subject, purpose):
    grant()
    update_purpose(actor=dpo, purpose=purpose, active=False)

    with pytest.raises(ValidationError) as refused:
        grant()
    withdrawal = withdraw_consent(actor=dpo, subject=subject, purpose=purpose, reason="Purpose retired.")

    assert refused.value.message_dict == {"purpose": ["The purpose marketing is inactive: it takes no new consents."]}
    assert withdrawal.status == "withdrawn"


def test_a_client_ip_hash_is_kept_as_sent(grant):
    digest = hashlib.sha256(b"198.51.100.23").hexdigest()

    event = grant(evidence={"ip_hash": digest.upper()})

    assert (event.evidence_ip, event.evidence_ip_hash) == ("", digest)


def test_withdrawing_is_one_call_with_a_reason(grant, dpo, subject, purpose):
    grant(occurred_at=timezone.now() - timedelta(minutes=5))

    event = withdraw_consent(actor=dpo, subject=subject, purpose=purpose, reason="Erasure request #12")

    assert (event.status, event.reason, event.collection_method) == ("withdrawn", "Erasure request #12", "web_form")
    assert _state(subject, purpose).status == "withdrawn"


@time_machine.travel("2026-03-10 09:00:00+00:00", tick=False)
def test_withdrawing_what_was_not_granted_is_refused_and_says_why(grant, dpo, subject, purpose):
    with pytest.raises(ConsentActionRefused) as never:
        withdraw_consent(actor=dpo, subject=subject, purpose=purpose, reason="asked")
    grant()
    withdraw_consent(actor=dpo, subject=subject, purpose=purpose, reason="asked")

    with pytest.raises(ConsentActionRefused) as again:
        withdraw_consent(actor=dpo, subject=subject, purpose=purpose, reason="asked again")

    assert never.value.message == "There is no consent to withdraw: user-1 has never consented to marketing."
    assert again.value.message == "There is no consent to withdraw: user-1 has withdrawn since 10 March 2026 marketing."


def test_withdrawing_needs_a_reason(grant, dpo, subject, purpose):
    grant()

    with pytest.raises(ValidationError) as refused:
        withdraw_consent(actor=dpo, subject=subject, purpose=purpose, reason="  ")

    assert refused.value.message_dict == {"reason": ["Say why the consent is withdrawn, for example 'asked by email on 3 March'."]}


def test_recording_by_external_id_creates_an_unknown_subject(dpo, purpose):
    event = record_consent_for_external_id(
        actor=dpo,
        subject_external_id="app-user-77",
        purpose_code="marketing",
        status="granted",
        notice_version="v1",
        collection_method="api",
        jurisdiction="US-CA",
    )

    subject = DataSubject.objects.get(external_id="app-user-77")
    assert event.subject == subject and subject.regime == "ccpa"
    assert event.jurisdiction == "US-CA"
    assert AuditEvent.objects.filter(action="subject.created", target_id=str(subject.pk)).exists()


def test_recording_by_external_id_names_an_unknown_purpose(dpo):
    with pytest.raises(ValidationError) as refused:
        record_consent_for_external_id(
            actor=dpo, subject_external_id="u", purpose_code="telepathy", status="granted", notice_version="v1", collection_method="api"
        )

    assert refused.value.message_dict == {"purpose": ["No purpose has the code 'telepathy'."]}
    assert not DataSubject.objects.exists()


def test_a_resent_event_by_external_id_is_returned_before_anything_is_created(dpo, purpose):
    values = dict(actor=dpo, subject_external_id="u-5", purpose_code="marketing", status="granted", notice_version="v1", collection_method="api")
    first = record_consent_for_external_id(event_id="e-1", **values)
    audits = AuditEvent.objects.count()

    again = record_consent_for_external_id(event_id="e-1", **values)

    assert again.pk == first.pk and again.replayed
    assert AuditEvent.objects.count() == audits


def test_a_later_notice_version_is_recorded_with_the_grant(grant, dpo, subject, purpose):
    publish_notice(actor=dpo, purpose=purpose, version="v2", text="More offers.")

    grant(notice_version="v2")

    assert _state(subject, purpose).notice.version == "v2"


# --- Expiry --------------------------------------------------------------------------------


def test_expired_grants_lapse_into_expired_events(grant, dpo, make_subject, purpose):
    now = timezone.now()
    expiring = grant(occurred_at=now - timedelta(days=400), expires_at=now - timedelta(days=35))
    other = make_subject("user-2", jurisdiction="DE")
    lasting = record_consent(
        actor=dpo, subject=other, purpose=purpose, status="granted", notice_version="v1", collection_method="app", expires_at=now + timedelta(days=30)
    )

    lapsed = lapse_expired_consents(now=now)

    assert lapsed == 1
    state = _state(expiring.subject, purpose)
    assert (state.status, state.occurred_at, state.expires_at) == ("expired", expiring.expires_at, expiring.expires_at)
    expired = state.last_event
    assert (expired.status, expired.occurred_at, expired.collection_method, expired.recorded_by) == (
        "expired",
        expiring.expires_at,
        "",
        "consent expiry",
    )
    assert _state(other, purpose).last_event_id == lasting.pk
    audit = AuditEvent.objects.get(action="consent.lapsed")
    assert audit.data == {"count": 1, "events": [{"event": str(expired.pk), "subject": "user-1", "purpose": "marketing"}]}


def test_lapsing_runs_in_batches_and_twice_does_nothing_more(dpo, make_subject, purpose):
    now = timezone.now()
    for number in range(5):
        record_consent(
            actor=dpo,
            subject=make_subject(f"s-{number}"),
            purpose=purpose,
            status="granted",
            notice_version="v1",
            collection_method="app",
            occurred_at=now - timedelta(days=10),
            expires_at=now - timedelta(days=1),
        )

    assert lapse_expired_consents(now=now, batch_size=2) == 5
    assert lapse_expired_consents(now=now, batch_size=2) == 0
    assert AuditEvent.objects.filter(action="consent.lapsed").count() == 3
    assert ConsentEvent.objects.filter(status="expired").count() == 5


def test_a_grant_after_expiry_is_current_again(grant, purpose):
    now = timezone.now()
    first = grant(occurred_at=now - timedelta(days=10), expires_at=now - timedelta(days=1))
    lapse_expired_consents(now=now)

    grant()

    assert _state(first.subject, purpose).status == "granted"


def test_recording_by_external_id_creates_nothing_when_the_event_is_refused(dpo, purpose):
    with pytest.raises(ValidationError) as refused:
        record_consent_for_external_id(
            actor=dpo, subject_external_id="u-6", purpose_code="marketing", status="granted", notice_version="v7", collection_method="api"
        )

    assert refused.value.message_dict == {"notice_version": ["marketing has no notice version 'v7' (published versions: v1)."]}
    assert not DataSubject.objects.exists()


def test_recording_by_external_id_names_a_missing_subject_id_as_subject(dpo, purpose):
    with pytest.raises(ValidationError) as refused:
        record_consent_for_external_id(
            actor=dpo, subject_external_id=" ", purpose_code="marketing", status="granted", notice_version="v1", collection_method="api"
        )

    assert refused.value.message_dict == {"subject": ["Give the subject's external id."]}


# --- Bulk writers --------------------------------------------------------------------------


def test_bulk_written_events_move_their_states_in_a_few_queries(dpo, make_subject, purpose, django_assert_max_num_queries):
    from consent.services import advance_states

    notice = purpose.notices.get()
    now = timezone.now()
    first, second = make_subject("bulk-1"), make_subject("bulk-2")
    current = record_consent(actor=dpo, subject=first, purpose=purpose, status="granted", notice_version="v1", collection_method="app")
    events = ConsentEvent.objects.bulk_create(
        [
            # Older than the recorded grant: kept in the history, the state stays.
            ConsentEvent(subject=first, purpose=purpose, status="withdrawn", occurred_at=now - timedelta(days=1), collection_method="import"),
            ConsentEvent(subject=second, purpose=purpose, status="granted", occurred_at=now - timedelta(days=2), notice=notice, collection_method="import"),
            ConsentEvent(subject=second, purpose=purpose, status="withdrawn", occurred_at=now - timedelta(days=1), collection_method="import"),
        ]
    )

    # One SELECT … FOR UPDATE, one INSERT, one UPDATE at most, and two savepoints around them.
    with django_assert_max_num_queries(7):
        moved = advance_states(events=events)

    assert moved == 1
    assert _state(first, purpose).last_event_id == current.pk
    state = _state(second, purpose)
    # The withdrawal keeps the notice of the grant before it in the batch, as recording one by one would.
    assert (state.status, state.last_event_id, state.notice_id) == ("withdrawn", events[2].pk, notice.pk)
