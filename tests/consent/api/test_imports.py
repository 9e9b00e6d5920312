"""POST /api/v1/consents/imports/ and GET …/{id}/: upload, progress with line-numbered errors, the error report."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from compliance.accounts.roles import Role
from consent.imports import services
from consent.models import ConsentEvent, ConsentImport
from tests.consent.api.conftest import READER, WRITER, errors_of, events
from tests.consent.imports.conftest import csv_file, queued_imports

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/consents/imports/"
ROWS = csv_file(
    "s-1,marketing,granted,v1,app,2025-01-02T10:00:00Z,,ev-1",
    "s-2,nowhere,granted,v1,app,2025-01-02T10:00:00Z,,ev-2",
    "s-3,marketing,granted,v1,app,02/01/2025,,ev-3",
)


def post_file(client, content: bytes = ROWS, name: str = "consents.csv", **fields):
    return client.post(IMPORTS, {"file": SimpleUploadedFile(name, content), **fields})


def test_a_key_uploads_a_file_and_follows_its_progress(key_client, purpose, django_capture_on_commit_callbacks):
    client, key = key_client(*WRITER, name="nightly export")
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_file(client)

    assert response.status_code == 202, response.content
    job = ConsentImport.objects.get()
    status_url = f"http://testserver/api/v1/consents/imports/{job.pk}/"
    assert response.json() == {"id": str(job.pk), "status_url": status_url}
    assert response["Location"] == status_url
    assert len(callbacks) == 1  # the worker is started once the upload commits
    assert (job.created_by_key, job.requested_by, job.status) == (key, str(key), "queued")
    queued = client.get(status_url).json()
    assert (queued["status"], queued["rows_done"], queued["rows_total"], queued["errors"], queued["error_report_url"]) == (
        "queued",
        0,
        None,
        [],
        None,
    )

    services.process_import(job_id=job.pk)
    body = client.get(status_url).json()
    assert {name: body[name] for name in ("status", "format", "percent", "rows_total", "rows_done", "rows_recorded", "rows_failed", "detail")} == {
        "status": "completed",
        "format": "csv",
        "percent": 100,
        "rows_total": 3,
        "rows_done": 3,
        "rows_recorded": 1,
        "rows_failed": 2,
        "detail": "",
    }
    assert body["errors"] == [
        {"line": 3, "reason": "purpose: No purpose has the code 'nowhere'."},
        {
            "line": 4,
            "reason": "occurred_at: '02/01/2025' is not a date and time: give occurred_at in ISO 8601 with its time zone, "
            "for example 2026-03-01T09:30:00Z.",
        },
    ]
    assert body["error_report_url"] == f"{status_url}errors/"
    assert ConsentEvent.objects.get().recorded_by == str(key)

    report = client.get(body["error_report_url"])
    assert report["Content-Type"] == "text/csv"
    assert b"".join(report.streaming_content).decode().splitlines()[:2] == ["line,reason", "3,purpose: No purpose has the code 'nowhere'."]
    assert events("consent.import_errors_exported")[0].actor_id == str(key.pk)


def test_the_same_file_again_records_nothing_new(key_client, purpose):
    client, _ = key_client(*WRITER)
    for _ in range(2):
        services.process_import(job_id=post_file(client).json()["id"])
    second = ConsentImport.objects.order_by("created_at").last()
    assert (second.rows_recorded, second.rows_already_recorded, second.rows_failed) == (0, 1, 2)
    assert ConsentEvent.objects.count() == 1


def test_a_key_sees_only_its_own_imports_and_the_dpo_sees_all(key_client, client_for, purpose):
    owner, owner_key = key_client(*WRITER, name="owner")
    job_id = post_file(owner).json()["id"]
    other, _ = key_client(*WRITER, name="other")
    missing = other.get(f"{IMPORTS}{job_id}/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "No such import.", "code": "not_found"})
    assert other.get(IMPORTS).json()["count"] == 0
    assert [row["id"] for row in owner.get(IMPORTS).json()["results"]] == [job_id]

    dpo, _ = client_for(Role.DPO)
    seen = dpo.get(f"{IMPORTS}{job_id}/")
    assert (seen.status_code, seen.json()["requested_by"]) == (200, str(owner_key))


def test_uploading_needs_consent_write(key_client, purpose):
    client, _ = key_client(*READER)
    response = post_file(client)
    assert (response.status_code, response.json()["detail"]) == (403, "This API key lacks the scope consent:write.")
    assert not ConsentImport.objects.exists()


def test_a_file_past_the_limit_is_refused_before_it_is_read(key_client, purpose, settings):
    settings.CONSENT_IMPORT_MAX_BYTES = 10
    client, _ = key_client(*WRITER)
    response = post_file(client, b"x" * 200_000)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The file is 2")
    assert response.json()["detail"].endswith("bytes; an import takes at most 10 bytes. Split it into smaller files.")

    small_but_too_large = post_file(client, b"x" * 11)
    assert errors_of(small_but_too_large) == {
        "file": ["The file is 11 bytes; an import takes at most 10 bytes. Split it into smaller files."]
    }
    assert not ConsentImport.objects.exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"file": ["No file was submitted."]}),
        ({"file": SimpleUploadedFile("empty.csv", b"")}, {"file": ["The submitted file is empty."]}),
        ({"file": SimpleUploadedFile("a.csv", ROWS), "format": "xlsx"}, {"format": ['"xlsx" is not a valid choice.']}),
    ],
)
def test_an_upload_without_a_usable_file_is_refused(key_client, fields, errors):
    client, _ = key_client(*WRITER)
    assert errors_of(client.post(IMPORTS, fields)) == errors


def test_a_json_lines_file_is_taken_by_its_extension_or_by_choice(key_client, purpose):
    client, _ = key_client(*WRITER)
    line = b'{"subject": "s-1", "purpose": "marketing", "status": "refused", "collection_method": "app"}\n'
    by_extension = post_file(client, line, name="consents.jsonl").json()["id"]
    by_choice = post_file(client, line, name="export.txt", format="jsonl").json()["id"]
    assert {job.file_format for job in ConsentImport.objects.filter(pk__in=[by_extension, by_choice])} == {"jsonl"}


def test_a_failed_file_says_why(key_client, purpose):
    client, _ = key_client(*WRITER)
    job_id = post_file(client, b"subject,purpose\ns-1,marketing\n").json()["id"]
    services.process_import(job_id=job_id)
    body = client.get(f"{IMPORTS}{job_id}/").json()
    assert body["status"] == "failed"
    assert body["detail"].startswith("The header lacks the columns status, collection_method.")


def test_a_manager_follows_imports_but_cannot_start_one(client_for, key_client, purpose):
    owner, _ = key_client(*WRITER)
    job_id = post_file(owner).json()["id"]
    manager, _ = client_for(Role.COMPLIANCE_MANAGER)
    assert manager.get(f"{IMPORTS}{job_id}/").status_code == 200
    refused = post_file(manager)
    assert refused.json()["detail"] == "Your role cannot import consents: it needs the permission consent.add_consentevent."


@pytest.mark.parametrize("count", [10, 1000])
def test_the_api_list_costs_the_same_queries_however_many_imports(client_for, dpo, count, django_assert_max_num_queries):
    queued_imports(count, requested_by=dpo)
    client, _ = client_for(Role.AUDITOR, access_expires_on=timezone.localdate() + timedelta(days=30))
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/consents/imports/", {"limit": 1000}).json()
    assert body["count"] == count
