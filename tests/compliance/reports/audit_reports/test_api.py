"""The reports API contract: POST → 202 {id, status}; GET → {id, status, progress, pages, size, sha256}; downloads; scopes."""

import hashlib
import json

import pytest
from django.test import Client

from compliance.accounts import services as account_services
from compliance.audit.models import AuditEvent
from compliance.crypto import signing
from compliance.reports.models import AuditReport
from compliance.reports.tasks import generate_report
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

BODY = {"period_start": "2026-01-01", "period_end": "2026-03-31", "frameworks": ["demo"], "sections": ["summary", "audit"]}


@pytest.fixture
def key_for(manager):
    """``key_for("reports:read")`` returns a client sending a key created by the manager with those scopes."""

    made = []

    def build(*scopes: str) -> Client:
        made.append(scopes)
        name = f"pipeline {len(made)}"
        _, plaintext = account_services.create_api_key(actor=manager, name=name, scopes=list(scopes))
        return Client(headers={"Authorization": f"Bearer {plaintext}"})

    return build


def _post(client, body=BODY):
    return client.post("/api/v1/reports/", data=json.dumps(body), content_type="application/json")


def test_a_key_with_reports_write_requests_a_report_and_gets_202_with_id_and_status(framework, key_for, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(key_for("reports:write"))

    report = AuditReport.objects.get()
    assert response.status_code == 202
    assert response.json() == {"id": report.pk, "status": "queued"}
    assert sent_tasks == [("reports.generate_report", [report.pk])]
    assert AuditEvent.objects.get(action="report.requested").actor_type == "api_key"


def test_bad_fields_answer_400_naming_each(framework, key_for, sent_tasks):
    response = _post(key_for("reports:write"), {**BODY, "period_end": "2025-12-31", "frameworks": ["sox"], "sections": ["summary", "x"]})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "period_end": ["The period ends (2025-12-31) before it starts (2026-01-01)."],
        "frameworks": ["Unknown framework: sox. Known: demo."],
        "sections": [
            "Unknown section: x. Known: summary, frameworks, rights, consent, datasets, models, training, audit, definitions."
        ],
    }
    assert _post(key_for("reports:write"), {"period_start": "soon"}).json()["errors"].keys() == {
        "period_start", "period_end", "frameworks", "sections"
    }


def test_scopes_are_enforced_and_named(framework, key_for, manager, sent_tasks):
    assert _post(key_for("reports:read")).json()["detail"] == "This API key lacks the scope reports:write."
    report = AuditReport.objects.create(requested_by=manager, period_start="2026-01-01", period_end="2026-01-31")
    consent_key = key_for("consent:read")
    assert consent_key.get(f"/api/v1/reports/{report.pk}/").json()["detail"] == "This API key lacks the scope reports:read or reports:write."
    assert consent_key.get(f"/api/v1/reports/{report.pk}/pdf/").json()["detail"] == "This API key lacks the scope reports:read."
    writer = key_for("reports:write")
    assert writer.get(f"/api/v1/reports/{report.pk}/").status_code == 200  # a program follows what it asked for
    assert writer.get(f"/api/v1/reports/{report.pk}/signature/").status_code == 403


def test_status_then_downloads_of_a_done_report(framework, key_for, sent_tasks):
    reader = key_for("reports:read", "reports:write")
    report_id = _post(reader).json()["id"]
    queued = reader.get(f"/api/v1/reports/{report_id}/")
    assert queued.json() == {"id": report_id, "status": "queued", "progress": 0, "pages": None, "size": None, "sha256": None}
    assert reader.get(f"/api/v1/reports/{report_id}/pdf/").json()["detail"] == (
        f"Report #{report_id} is queued; it can be downloaded once it is done."
    )

    generate_report.run(report_id)
    done = reader.get(f"/api/v1/reports/{report_id}/").json()
    pdf = reader.get(f"/api/v1/reports/{report_id}/pdf/")
    sig = reader.get(f"/api/v1/reports/{report_id}/signature/")

    assert done["status"] == "done" and done["progress"] == 100 and done["pages"] >= 3
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert done["size"] == len(pdf.content) and done["sha256"] == hashlib.sha256(pdf.content).hexdigest()
    document = json.loads(sig.content)
    assert document["report"]["id"] == report_id and document["sha256"] == done["sha256"]
    signing.verify(pdf.content, document["signature"], key_id=document["key_id"])
    downloads = AuditEvent.objects.filter(target_id=str(report_id), action__in=["report.downloaded", "report.signature_downloaded"])
    assert downloads.count() == 2 and {event.actor_type for event in downloads} == {"api_key"}


def test_a_missing_report_is_404_for_keys_and_sessions(framework, key_for, auditor):
    assert key_for("reports:read").get("/api/v1/reports/999/").status_code == 404
    assert verified_client(auditor).get("/api/v1/reports/999/").json()["detail"] == "There is no such audit report."


def test_the_schema_documents_the_four_endpoints(auditor):
    paths = verified_client(auditor).get("/api/v1/schema/", {"format": "json"}).json()["paths"]

    assert {"/api/v1/reports/", "/api/v1/reports/{id}/", "/api/v1/reports/{id}/pdf/", "/api/v1/reports/{id}/signature/"} <= set(paths)
    assert "202" in paths["/api/v1/reports/"]["post"]["responses"]
