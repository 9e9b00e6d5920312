"""POST /api/v1/consents/ and GET /api/v1/consents/check: recording (idempotent by event id) and the one-query check."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from consent.models import ConsentEvent, ConsentState, DataSubject
from consent.services import record_consent, update_purpose
from tests.consent.api.conftest import READER, WRITER, errors_of, events, send

pytestmark = pytest.mark.django_db

CONSENTS = "/api/v1/consents/"
CHECK = "/api/v1/consents/check"
GRANT = {
    "subject": "shop-42",
    "purpose": "marketing",
    "status": "granted",
    "notice_version": "v1",
    "collection_method": "web_form",
    "occurred_at": "2025-03-01T09:30:00Z",
    "event_id": "cmp-1",
}


def test_a_grant_creates_the_unknown_subject_and_answers_201(key_client, purpose):
    client, key = key_client(*WRITER, name="consent platform")
    response = send(client, "post", CONSENTS, {**GRANT, "jurisdiction": "de", "evidence": {"ip": "203.0.113.9", "source_system": "cmp"}})

    assert response.status_code == 201, response.content
    body = response.json()
    event = ConsentEvent.objects.get()
    assert body["id"] == str(event.pk)
    assert {name: body[name] for name in ("event_id", "subject", "purpose", "status", "notice_version", "occurred_at", "jurisdiction")} == {
        "event_id": "cmp-1",
        "subject": "shop-42",
        "purpose": "marketing",
        "status": "granted",
        "notice_version": "v1",
        "occurred_at": "2025-03-01T09:30:00Z",
        "jurisdiction": "DE",
    }
    assert body["evidence"] == {"ip": "203.0.113.0/24", "ip_hash": "", "user_agent_hash": "", "source_system": "cmp"}
    assert body["recorded_by"] == str(key)
    assert DataSubject.objects.get().jurisdiction_country == "DE"
    [recorded] = events("consent.recorded")
    assert (recorded.actor_type, recorded.actor_id) == ("api_key", str(key.pk))


def test_sending_an_event_again_answers_200_with_the_same_event(key_client, purpose):
    client, _ = key_client(*WRITER)
    first = send(client, "post", CONSENTS, GRANT)
    again = send(client, "post", CONSENTS, GRANT)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert ConsentEvent.objects.count() == 1 and len(events("consent.recorded")) == 1

    other = send(client, "post", CONSENTS, {**GRANT, "status": "refused"})
    recorded_at = ConsentEvent.objects.get().recorded_at
    assert errors_of(other) == {
        "event_id": [
            f"The event id 'cmp-1' was already used for another consent (recorded {recorded_at:%Y-%m-%d %H:%M} UTC); "
            "give each new event its own id."
        ]
    }


def test_withdrawing_through_the_api_is_one_call_like_granting(key_client, purpose):
    client, _ = key_client(*WRITER)
    send(client, "post", CONSENTS, GRANT)
    withdrawn = send(
        client, "post", CONSENTS, {"subject": "shop-42", "purpose": "marketing", "status": "withdrawn", "collection_method": "app"}
    )
    assert withdrawn.status_code == 201
    state = ConsentState.objects.get()
    assert (state.status, state.notice.version) == ("withdrawn", "v1")
    assert client.get(CHECK, {"subject": "shop-42", "purpose": "marketing"}).json()["allowed"] is False


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"purpose": "nowhere"}, {"purpose": ["No purpose has the code 'nowhere'."]}),
        ({"status": "expired"}, {"status": ["Custos records expiry itself when a consent's expires_at passes; record granted, withdrawn or refused."]}),
        ({"occurred_at": "2025-03-01T09:30:00"}, {"occurred_at": ["Give the date and time with its time zone, for example 2026-03-01T09:30:00Z."]}),
        ({"occurred_at": "yesterday"}, {"occurred_at": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]}),
        ({"notice_version": "v9"}, {"notice_version": ["marketing has no notice version 'v9' (published versions: v1)."]}),
        ({"collection_method": "pigeon"}, {"collection_method": ["Unknown collection method 'pigeon'. Use one of: web_form, app, paper, api, import."]}),
        ({"subject": ""}, {"subject": ["Give the subject's external id."]}),
        ({"evidence": {"mac": "x"}}, {"evidence": {"mac": ["Unknown field. The fields accepted here are: ip, ip_hash, user_agent, user_agent_hash, source_system."]}}),
    ],
)
def test_bad_consents_are_refused_naming_the_field_and_create_nothing(key_client, purpose, changes, errors):
    client, _ = key_client(*WRITER)
    assert errors_of(send(client, "post", CONSENTS, {**GRANT, **changes})) == errors
    assert not ConsentEvent.objects.exists() and not DataSubject.objects.exists()


def test_recording_needs_consent_write_or_the_dpos_permission(key_client, client_for, purpose):
    reader, _ = key_client(*READER)
    assert send(reader, "post", CONSENTS, GRANT).json()["detail"] == "This API key lacks the scope consent:write."
    auditor, _ = client_for(Role.AUDITOR, access_expires_on=timezone.localdate() + timedelta(days=30))
    refused = send(auditor, "post", CONSENTS, GRANT)
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "Your role cannot record consents: it needs the permission consent.add_consentevent.",
    )
    dpo, _ = client_for(Role.DPO)
    assert send(dpo, "post", CONSENTS, GRANT).status_code == 201


# --- the check -----------------------------------------------------------------------------------------


@pytest.fixture
def granted(dpo, subject, purpose):
    return record_consent(
        actor=dpo,
        subject=subject,
        purpose=purpose,
        status="granted",
        notice_version="v1",
        collection_method="app",
        occurred_at=timezone.now() - timedelta(days=1),
        expires_at=timezone.now() + timedelta(days=30),
    )


def test_the_check_is_exactly_one_query_for_a_key(key_client, granted, django_assert_num_queries):
    client, _ = key_client(*READER)
    client.get(CHECK, {"subject": "nobody", "purpose": "marketing"})  # the key is read and cached here

    with django_assert_num_queries(1):
        response = client.get(CHECK, {"subject": "user-1", "purpose": "marketing"})
    assert response.status_code == 200
    assert response.json() == {
        "subject": "user-1",
        "purpose": "marketing",
        "allowed": True,
        "status": "granted",
        "occurred_at": granted.occurred_at.isoformat().replace("+00:00", "Z"),
        "expires_at": granted.expires_at.isoformat().replace("+00:00", "Z"),
        "notice_version": "v1",
    }


@pytest.mark.parametrize(("external_id", "purpose_code"), [("nobody", "marketing"), ("user-1", "nothing")])
def test_an_unknown_subject_or_purpose_is_not_allowed_with_status_none(key_client, granted, external_id, purpose_code, django_assert_num_queries):
    client, _ = key_client(*READER)
    client.get(CHECK, {"subject": "nobody", "purpose": "marketing"})
    with django_assert_num_queries(1):
        body = client.get(CHECK, {"subject": external_id, "purpose": purpose_code}).json()
    assert body == {
        "subject": external_id,
        "purpose": purpose_code,
        "allowed": False,
        "status": "none",
        "occurred_at": None,
        "expires_at": None,
        "notice_version": None,
    }


def test_an_expired_grant_or_an_inactive_purpose_is_not_allowed(key_client, granted, dpo, purpose, frozen_time):
    client, _ = key_client(*READER)
    frozen_time.move_to(granted.expires_at + timedelta(seconds=1))
    body = client.get(CHECK, {"subject": "user-1", "purpose": "marketing"}).json()
    assert (body["allowed"], body["status"]) == (False, "expired")

    frozen_time.move_to(granted.expires_at - timedelta(days=1))
    update_purpose(actor=dpo, purpose=purpose, active=False)
    body = client.get(CHECK, {"subject": "user-1", "purpose": "marketing"}).json()
    assert (body["allowed"], body["status"]) == (False, "granted")


def test_the_check_says_what_is_missing(key_client):
    client, _ = key_client(*READER)
    assert errors_of(client.get(CHECK, {"subject": "user-1"})) == {"purpose": ["This field is required."]}


def test_a_manager_may_check_an_employee_may_not(client_for, granted):
    manager, _ = client_for(Role.COMPLIANCE_MANAGER)
    assert manager.get(CHECK, {"subject": "user-1", "purpose": "marketing"}).json()["allowed"] is True
    employee, _ = client_for(Role.EMPLOYEE)
    refused = employee.get(CHECK, {"subject": "user-1", "purpose": "marketing"})
    assert refused.json()["detail"] == "Your role cannot check consents: it needs the permission consent.view_consentstate."
