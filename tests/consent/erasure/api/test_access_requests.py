"""The access request API: scopes, filing, trusted verification, the read shape, the audited download, 410 once expired."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.accounts import services as account_services
from compliance.accounts.roles import Role
from compliance.audit.actors import SYSTEM
from compliance.audit.models import AuditEvent
from consent.erasure.access_models import AccessRequest
from tests.consent.erasure.access_fixtures import (  # noqa: F401 (fixtures)
    access_root,
    file_access,
    run_export,
    started,
    zip_json,
)
from tests.consent.erasure.stores import shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
LIST = "/api/v1/access-requests/"


@pytest.fixture
def key_client(db):
    def build(*scopes: str):
        key, plaintext = account_services.create_api_key(actor=SYSTEM, name=f"portal {'+'.join(scopes)}", scopes=list(scopes))
        return Client(headers={"Authorization": f"Bearer {plaintext}"}), key

    return build


@pytest.fixture
def ready(file_access, started, subject, shop_stores, django_capture_on_commit_callbacks):
    return run_export(started(file_access(subject=subject)), django_capture_on_commit_callbacks)


def post(client, url, data=None):
    return client.post(url, json.dumps(data) if data is not None else "", content_type="application/json")


def test_the_contract_urls():
    assert reverse("api:access_request_list") == LIST
    assert reverse("api:access_request_detail", args=[12]) == f"{LIST}12/"
    assert reverse("api:access_request_download", args=[12]) == f"{LIST}12/download/"


@time_machine.travel(datetime(2026, 1, 31, 10, 0, tzinfo=LONDON), tick=False)
def test_a_key_with_erasure_write_files_a_request_for_a_known_subject(key_client, subject, access_root):
    client, key = key_client("erasure:write")

    response = post(client, LIST, {"subject": "user-1"})

    assert response.status_code == 201, response.content
    request = AccessRequest.objects.get()
    assert response.json() == {"id": request.pk, "status": "received", "due_at": "2026-02-28T23:59:59.999999Z"}
    assert response["Location"] == f"{LIST}{request.pk}/"
    assert (request.source, request.regulation, request.clause, request.created_by) == ("api", "gdpr", "GDPR Art. 15", str(key))
    event = AuditEvent.objects.get(action="access.received")
    assert (event.actor_type, event.actor_id) == ("api_key", str(key.pk))


def test_verified_true_from_a_trusted_key_starts_the_export(key_client, shop_stores, access_root,
                                                            django_capture_on_commit_callbacks):
    client, key = key_client("erasure:write", "erasure:approve")

    with django_capture_on_commit_callbacks(execute=False) as sent:
        response = post(client, LIST, {"identifiers": {"email": "jane.doe@example.com"}, "regulation": "ccpa", "verified": True})

    assert response.status_code == 201 and response.json()["status"] == "running"
    request = AccessRequest.objects.get()
    assert (request.verification_method, request.verified_by, request.clause) == ("trusted_api_key", str(key), "CCPA §1798.110")
    assert len(sent) == 1  # the SQLite table keyed by email; the CSV keyed by external id is not applicable


def test_verified_true_from_a_write_only_key_leaves_the_request_received(key_client, access_root):
    client, _ = key_client("erasure:write")

    response = post(client, LIST, {"identifiers": {"phone": "+44 20 7946 0000"}, "verified": True})

    assert response.json()["status"] == "received"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "subject", "Name the subject by external id, or give the person's email or phone."),
        ({"subject": "ghost"}, "subject", "No subject has external id 'ghost'; give identifiers instead for a person Custos does not know."),
        ({"identifiers": {"email": "nobody"}}, "email", "This is not an email address: it has no @."),
        ({"subject": "user-1", "regulation": "hipaa"}, "regulation", None),
        ({"subject": "user-1", "surprise": 1}, None, None),
    ],
)
def test_bad_bodies_answer_400_naming_the_field(key_client, subject, access_root, body, field, message):
    client, _ = key_client("erasure:write")

    response = post(client, LIST, body)

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    if field:
        assert field in errors
    if message:
        assert errors[field] == [message]
    assert not AccessRequest.objects.exists()


def test_a_key_without_erasure_scopes_is_refused(key_client, subject):
    client, _ = key_client("consent:read")

    response = post(client, LIST, {"subject": "user-1"})

    assert response.status_code == 403
    assert "erasure:write" in response.json()["detail"]


def test_reading_a_request_shows_its_clock_results_and_download_until(key_client, ready):
    client, _ = key_client("erasure:write")

    body = client.get(f"{LIST}{ready.pk}/").json()

    assert body["id"] == ready.pk and body["status"] == "ready" and body["regulation"] == "gdpr"
    assert body["clause"] == "GDPR Art. 15" and body["days_left"] is None and body["overdue"] is False
    assert body["download_until"] == ready.expires_at.isoformat().replace("+00:00", "Z")
    assert body["archive_sha256"] == ready.archive_sha256
    assert [(r["name"], r["kind"], r["status"], r["attempts"], r["records_exported"], r["error"]) for r in body["results"]] == [
        ("customers", "sqlite", "done", 1, 2, None),
        ("orders", "filesystem", "done", 1, 1, None),
    ]
    assert body["results"][1]["fields"] == ["customer_id", "plan"]


def test_a_received_request_reads_with_its_days_left_and_no_download(key_client, file_access, subject):
    client, _ = key_client("erasure:approve")
    request = file_access(subject=subject)

    body = client.get(f"{LIST}{request.pk}/").json()

    assert (body["status"], body["download_until"], body["results"]) == ("received", None, [])
    assert body["days_left"] == request.clock().days_left


def test_a_key_with_erasure_approve_downloads_the_archive_and_it_is_audited(key_client, ready):
    client, key = key_client("erasure:approve")

    response = client.get(f"{LIST}{ready.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip" and response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert zip_json(response.content)["summary.json"]["request"] == ready.reference
    event = AuditEvent.objects.get(action="access.downloaded")
    assert (event.actor_type, event.actor_id, event.data["sha256"]) == ("api_key", str(key.pk), ready.archive_sha256)


def test_a_write_only_key_may_not_download(key_client, ready):
    client, _ = key_client("erasure:write")

    response = client.get(f"{LIST}{ready.pk}/download/")

    assert response.status_code == 403
    assert "erasure:approve" in response.json()["detail"]
    assert not AuditEvent.objects.filter(action="access.downloaded").exists()


def test_an_expired_archive_answers_410_saying_when(key_client, ready):
    client, _ = key_client("erasure:approve")
    AccessRequest.objects.filter(pk=ready.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    ready.refresh_from_db()

    response = client.get(f"{LIST}{ready.pk}/download/")

    assert response.status_code == 410
    when = timezone.localtime(ready.expires_at).strftime("%d %B %Y %H:%M %Z")
    assert response.json()["detail"] == (
        f"The archive of access request {ready.reference} expired on {when} and was deleted; nothing can be downloaded any more."
    )


def test_a_request_not_ready_answers_409(key_client, file_access, subject):
    client, _ = key_client("erasure:approve")
    request = file_access(subject=subject)

    response = client.get(f"{LIST}{request.pk}/download/")

    assert response.status_code == 409
    assert response.json()["detail"] == f"Access request {request.reference} is received; its archive can be downloaded once it is ready."


def test_signed_in_readers_see_requests_but_only_the_dpo_downloads(client_for, ready):
    auditor, _ = client_for(Role.AUDITOR)
    dpo, _ = client_for(Role.DPO)

    assert auditor.get(f"{LIST}{ready.pk}/").status_code == 200
    assert auditor.get(f"{LIST}{ready.pk}/download/").status_code == 403
    assert dpo.get(f"{LIST}{ready.pk}/download/").status_code == 200
    assert AuditEvent.objects.filter(action="access.downloaded").count() == 1


def test_a_missing_request_is_404(key_client):
    client, _ = key_client("erasure:approve")

    assert client.get(f"{LIST}999999/").status_code == 404
    assert client.get(f"{LIST}999999/download/").status_code == 404
