"""POST /api/v1/subjects/ (upsert) and GET /api/v1/subjects/{external_id}/…: masked identifiers, history, receipts."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from consent.imports import services as import_services
from consent.models import DataSubject
from consent.services import record_consent
from tests.consent.api.conftest import READER, WRITER, errors_of, events, send
from tests.consent.imports.conftest import csv_file, upload

pytestmark = pytest.mark.django_db

SUBJECTS = "/api/v1/subjects/"
CLEAR = ("jane.doe@example.com", "+442079460000", "Jane Doe")


def test_a_key_creates_then_updates_a_subject_and_only_sees_it_masked(key_client):
    client, key = key_client(*WRITER)
    created = send(
        client,
        "post",
        SUBJECTS,
        {"external_id": "user-7", "email": "Jane.Doe@Example.com", "phone": "+44 20 7946 0000", "name": "Jane Doe", "jurisdiction": "gb"},
    )
    assert created.status_code == 201, created.content
    assert {name: value for name, value in created.json().items() if name not in {"created_at", "updated_at"}} == {
        "external_id": "user-7",
        "email": "j***@example.com",
        "phone": "+44 ******0000",
        "name": "J***",
        "jurisdiction": "GB",
        "regime": "gdpr",
    }
    subject = DataSubject.objects.get()
    assert (subject.email, subject.phone, subject.name) == CLEAR

    updated = send(client, "post", SUBJECTS, {"external_id": "user-7", "name": "", "jurisdiction": "US-CA"})
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["email"], updated.json()["regime"]) == ("", "j***@example.com", "ccpa")
    assert events("subject.updated")[0].data == {"external_id": "user-7", "changed": ["name", "jurisdiction"]}
    assert events("subject.created")[0].actor_id == str(key.pk)

    unchanged = send(client, "post", SUBJECTS, {"external_id": "user-7"})
    assert unchanged.status_code == 200 and len(events("subject.updated")) == 1

    text = json.dumps([created.json(), updated.json(), client.get(f"{SUBJECTS}user-7/").json()])
    text += json.dumps([event.data for event in AuditEvent.objects.all()])
    assert not any(value in text for value in (*CLEAR, "7946 0000"))


def test_bad_identifiers_are_refused_by_field(key_client):
    client, _ = key_client(*WRITER)
    response = send(client, "post", SUBJECTS, {"external_id": " ", "email": "nobody", "jurisdiction": "Atlantis"})
    assert errors_of(response) == {
        "external_id": ["Give the subject's external id."],
        "email": ["This is not an email address: it has no @."],
        "jurisdiction": [
            "'Atlantis' is not a jurisdiction: give an ISO 3166-1 country code such as GB, DE or FR, with the state for"
            " the United States, such as US-CA or US-NY."
        ],
    }
    assert not DataSubject.objects.exists()


def test_a_subject_is_shown_masked_or_answered_404(key_client, subject):
    client, _ = key_client(*READER)
    body = client.get(f"{SUBJECTS}user-1/").json()
    assert (body["email"], body["phone"], body["name"]) == ("j***@example.com", "+44 ******0000", "J***")
    missing = client.get(f"{SUBJECTS}nobody/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No such data subject.", "code": "not_found"}


def test_reading_a_subject_needs_consent_read(key_client, subject):
    client, _ = key_client("consent:write")
    response = client.get(f"{SUBJECTS}user-1/")
    assert (response.status_code, response.json()["detail"]) == (403, "This API key lacks the scope consent:read.")


def test_a_manager_reads_subjects_masked_and_cannot_change_them(client_for, subject):
    manager, _ = client_for(Role.COMPLIANCE_MANAGER)
    assert manager.get(f"{SUBJECTS}user-1/").json()["email"] == "j***@example.com"
    refused = send(manager, "post", SUBJECTS, {"external_id": "user-1", "email": "new@example.org"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Your role cannot create or change data subjects: it needs the permission consent.change_datasubject."
    )


# --- history and receipt -------------------------------------------------------------------------------


def test_the_history_lists_every_event_oldest_first(key_client, dpo, subject, purpose):
    now = timezone.now()
    record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="app", occurred_at=now - timedelta(days=2))
    record_consent(
        actor=dpo,
        subject=subject,
        purpose=purpose,
        status="withdrawn",
        collection_method="web_form",
        occurred_at=now - timedelta(days=1),
        evidence={"ip": "192.0.2.55", "user_agent": "Firefox"},
    )
    client, _ = key_client(*READER)
    page = client.get(f"{SUBJECTS}user-1/consents/").json()
    assert page["count"] == 2
    first, second = page["results"]
    assert (first["status"], first["notice_version"], first["subject"], first["purpose"]) == ("granted", "v1", "user-1", "marketing")
    assert (second["status"], second["notice_version"], second["collection_method"]) == ("withdrawn", None, "web_form")
    assert second["evidence"] == {
        "ip": "192.0.2.0/24",
        "ip_hash": "",
        "user_agent_hash": hashlib.sha256(b"Firefox").hexdigest(),
        "source_system": "",
    }
    assert "Firefox" not in json.dumps(page)


@pytest.mark.parametrize("count", [10, 1000])
def test_the_history_costs_the_same_queries_however_long(key_client, dpo, purpose, subject, count, django_assert_max_num_queries):
    rows = [f"user-1,marketing,refused,,app,{timezone.now() - timedelta(minutes=number):%Y-%m-%dT%H:%M:%S}Z,," for number in range(count)]
    job = import_services.create_import(actor=dpo, upload=upload(csv_file(*rows)))
    import_services.process_import(job_id=job.pk)
    client, _ = key_client(*READER)
    client.get(f"{SUBJECTS}user-1/consents/")  # the key is cached from here
    with django_assert_max_num_queries(3):
        page = client.get(f"{SUBJECTS}user-1/consents/", {"limit": 1000}).json()
    assert len(page["results"]) == count


def test_the_receipt_is_the_iso_27560_record_and_its_export_audited(key_client, dpo, subject, purpose):
    record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="app")
    client, key = key_client(*READER)
    receipt = client.get(f"{SUBJECTS}user-1/receipt/").json()
    assert (receipt["schema_version"], receipt["pii_principal_id"], receipt["jurisdiction"]) == ("ISO/IEC TS 27560:2023", "user-1", "GB")
    assert [(event["purpose_id"], event["type"], event["notice_version"]) for event in receipt["events"]] == [("marketing", "granted", "v1")]
    event = events("subject.receipt_exported")[0]
    assert (event.actor_type, event.actor_id, event.data["external_id"]) == ("api_key", str(key.pk), "user-1")
    assert "jane.doe@example.com" not in json.dumps(receipt)
