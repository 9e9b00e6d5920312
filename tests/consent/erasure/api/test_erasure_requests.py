"""The erasure API: scopes, filing for known and unknown people, trusted verification, approval, the read shape."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from compliance.accounts import services as account_services
from compliance.accounts.roles import Role
from compliance.audit.actors import SYSTEM
from compliance.audit.models import AuditEvent
from consent.erasure import services
from consent.erasure.models import ErasureRequest
from datasets.services import create_dataset

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
LIST = "/api/v1/erasure-requests/"


@pytest.fixture
def key_client(db):
    def build(*scopes: str):
        key, plaintext = account_services.create_api_key(actor=SYSTEM, name=f"pipeline {'+'.join(scopes)}", scopes=list(scopes))
        return Client(headers={"Authorization": f"Bearer {plaintext}"}), key

    return build


def post(client, url, data=None):
    return client.post(url, json.dumps(data) if data is not None else "", content_type="application/json")


def test_the_contract_urls():
    assert reverse("api:erasure_request_list") == LIST
    assert reverse("api:erasure_request_detail", args=[12]) == f"{LIST}12/"
    assert reverse("api:erasure_request_approve", args=[12]) == f"{LIST}12/approve/"


@time_machine.travel(datetime(2026, 1, 31, 10, 0, tzinfo=LONDON), tick=False)
def test_a_key_with_erasure_write_files_a_request_for_a_known_subject(key_client, subject):
    client, key = key_client("erasure:write")

    response = post(client, LIST, {"subject": "user-1"})

    assert response.status_code == 201, response.content
    request = ErasureRequest.objects.get()
    assert response.json() == {"id": request.pk, "status": "received", "due_at": "2026-02-28T23:59:59.999999Z"}
    assert response["Location"] == f"{LIST}{request.pk}/"
    assert (request.source, request.regulation, request.created_by) == ("api", "gdpr", str(key))
    event = AuditEvent.objects.get(action="erasure.received")
    assert (event.actor_type, event.actor_id) == ("api_key", str(key.pk))


def test_an_unknown_person_is_filed_by_identifiers_with_the_regulation_given(key_client):
    client, _ = key_client("erasure:write")
    response = post(client, LIST, {"identifiers": {"email": "Someone@Example.org", "phone": "+1 415 555 0100"}, "regulation": "ccpa"})
    assert response.status_code == 201
    request = ErasureRequest.objects.get()
    assert (request.subject, request.email, request.phone, request.regulation) == (None, "someone@example.org", "+14155550100", "ccpa")


def test_verified_true_is_honoured_only_for_a_key_that_may_approve(key_client, subject):
    writer, _ = key_client("erasure:write")
    trusted, trusted_key = key_client("erasure:write", "erasure:approve")

    plain = post(writer, LIST, {"subject": "user-1", "verified": True}).json()
    honoured = post(trusted, LIST, {"subject": "user-1", "verified": True}).json()

    assert (plain["status"], honoured["status"]) == ("received", "verified")
    request = ErasureRequest.objects.get(pk=honoured["id"])
    assert (request.verification_method, request.get_verification_method_display()) == ("trusted_api_key", "Trusted API key")
    assert request.verification_note == f"verified: true from {trusted_key}"


def test_bad_bodies_answer_400_with_field_errors(key_client, subject):
    client, _ = key_client("erasure:write")
    unknown = post(client, LIST, {"subject": "nobody"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {
        "subject": ["No subject has external id 'nobody'; give identifiers instead for a person Custos does not know."]
    }
    neither = post(client, LIST, {})
    assert neither.json()["errors"] == {"subject": ["Name the subject by external id, or give the person's email or phone."]}
    bad = post(client, LIST, {"identifiers": {"email": "nope"}, "regulation": "hipaa"})
    assert bad.json()["errors"] == {"regulation": ['"hipaa" is not a valid code. Use one of: gdpr, ccpa, policy.']}
    bad_email = post(client, LIST, {"identifiers": {"email": "nope"}})
    assert bad_email.json()["errors"] == {"email": ["This is not an email address: it has no @."]}
    assert not ErasureRequest.objects.exists()


def test_scopes_are_enforced(key_client, subject, dpo):
    reader, _ = key_client("consent:read")
    writer, _ = key_client("erasure:write")
    request = services.receive_erasure_request(actor=dpo, subject=subject, source="browser")
    services.verify_erasure_request(actor=dpo, request=request, method="account", evidence_note="Signed in")

    assert post(reader, LIST, {"subject": "user-1"}).json()["detail"] == "This API key lacks the scope erasure:write."
    assert reader.get(f"{LIST}{request.pk}/").json()["detail"] == "This API key lacks the scope erasure:write or erasure:approve."
    assert post(writer, f"{LIST}{request.pk}/approve/").json()["detail"] == "This API key lacks the scope erasure:approve."
    assert writer.get(f"{LIST}{request.pk}/").status_code == 200
    assert ErasureRequest.objects.get(pk=request.pk).status == "verified"


def test_approve_then_read_the_steps(key_client, verified, dataset, make_location, dpo):
    location = make_location(dataset, "orders")
    held = make_location(create_dataset(actor=dpo, name="Archive"), "old")
    services.set_legal_hold(actor=dpo, dataset=held.dataset, reason="Litigation")
    approver, _ = key_client("erasure:approve")

    response = post(approver, f"{LIST}{verified.pk}/approve/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "status", "regulation", "received_at", "due_at", "completed_at", "steps", "models_affected"}
    assert (body["id"], body["status"], body["regulation"], body["completed_at"], body["models_affected"]) == (
        verified.pk,
        "approved",
        "gdpr",
        None,
        [],
    )
    assert sorted(body["steps"], key=lambda step: step["status"]) == [
        {"location": str(location.pk), "kind": "postgresql", "status": "pending", "attempts": 0, "records_affected": None, "error": None},
        {"location": str(held.pk), "kind": "postgresql", "status": "skipped", "attempts": 0, "records_affected": None, "error": None},
    ]
    assert approver.get(f"{LIST}{verified.pk}/").json() == body
    again = post(approver, f"{LIST}{verified.pk}/approve/")
    assert (again.status_code, again.json()["detail"]) == (409, f"Request #{verified.pk} is approved; only verified requests can be approved.")


def test_evidence_and_errors_show_in_the_steps(key_client, verified, dataset, make_location, dpo):
    make_location(dataset, "orders")
    services.approve_erasure_request(actor=dpo, request=verified)
    verified.steps.update(status="failed", attempts=3, last_error="Table public.orders does not exist", evidence={"records_affected": 0})
    client, _ = key_client("erasure:write")
    [step] = client.get(f"{LIST}{verified.pk}/").json()["steps"]
    assert (step["status"], step["attempts"], step["records_affected"], step["error"]) == (
        "failed",
        3,
        0,
        "Table public.orders does not exist",
    )


def test_a_missing_request_is_404(key_client):
    client, _ = key_client("erasure:write")
    assert client.get(f"{LIST}999/").status_code == 404


def test_signed_in_users_act_by_role(client_for, subject):
    dpo_client, _ = client_for(Role.DPO)
    auditor_client, _ = client_for(Role.AUDITOR)
    created = post(dpo_client, LIST, {"subject": "user-1"})
    assert created.status_code == 201
    assert auditor_client.get(f"{LIST}{created.json()['id']}/").status_code == 200
    refused = post(auditor_client, LIST, {"subject": "user-1"})
    assert (refused.status_code, refused.json()["detail"]) == (403, "Your role does not allow this on erasure requests.")
