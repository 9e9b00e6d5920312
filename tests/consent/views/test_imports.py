"""The import pages: upload, progress bar fed by JSON, skipped rows and the error report download."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from consent.imports import services
from consent.models import ConsentImport
from tests.consent.imports.conftest import csv_file, queued_imports

pytestmark = pytest.mark.django_db

LIST = "/consent/imports/"
ROWS = csv_file(
    "s-1,marketing,granted,v1,app,2025-01-02T10:00:00Z,,ev-1",
    "s-2,nowhere,granted,v1,app,2025-01-02T10:00:00Z,,ev-2",
)


@pytest.fixture
def dpo_client(client_for):
    return client_for(Role.DPO, username="the-dpo")[0]


def test_the_dpo_uploads_a_file_and_lands_on_its_progress_page(dpo_client, purpose):
    response = dpo_client.post(LIST, {"file": SimpleUploadedFile("consents.csv", ROWS), "file_format": ""})
    job = ConsentImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("consent:import_detail", kwargs={"pk": job.pk})
    assert job.requested_by == "the-dpo"

    page = dpo_client.get(response["Location"]).content.decode()
    assert f'data-import-progress="/consent/imports/{job.pk}/progress/"' in page
    assert '<progress max="100" value="0"' in page
    assert re.search(r'<script src="/static/js/consent-import\.js" defer></script>', page)
    assert "<script>" not in page and "style=" not in page

    progress = dpo_client.get(f"/consent/imports/{job.pk}/progress/").json()
    assert progress == {
        "status": "queued",
        "status_label": "Queued",
        "finished": False,
        "percent": 0,
        "rows_done": 0,
        "rows_recorded": 0,
        "rows_already_recorded": 0,
        "rows_failed": 0,
    }


def test_a_finished_import_shows_its_skipped_rows_and_the_report(dpo_client, dpo, purpose):
    job = services.create_import(actor=dpo, upload=SimpleUploadedFile("consents.csv", ROWS))
    services.process_import(job_id=job.pk)

    page = dpo_client.get(f"/consent/imports/{job.pk}/").content.decode()
    assert "data-import-progress" not in page and "consent-import.js" not in page
    assert '<progress max="100" value="100"' in page
    assert "<td>3</td><td>purpose: No purpose has the code &#x27;nowhere&#x27;.</td>" in page
    assert f'href="/consent/imports/{job.pk}/errors.csv"' in page
    assert dpo_client.get(f"/consent/imports/{job.pk}/progress/").json()["finished"] is True

    report = dpo_client.get(f"/consent/imports/{job.pk}/errors.csv")
    assert report["Content-Disposition"] == f'attachment; filename="consent-import-{job.pk}-errors.csv"'
    assert b"".join(report.streaming_content).decode().splitlines() == ["line,reason", "3,purpose: No purpose has the code 'nowhere'."]
    assert AuditEvent.objects.get(action="consent.import_errors_exported").actor_label == "the-dpo"


def test_a_bad_upload_comes_back_with_its_error(dpo_client, purpose, settings):
    response = dpo_client.post(LIST, {"file": SimpleUploadedFile("consents.csv", ROWS), "file_format": "xlsx"})
    assert response.status_code == 400
    assert "Select a valid choice. xlsx is not one of the available choices." in response.content.decode()

    settings.CONSENT_IMPORT_MAX_BYTES = 10
    small = dpo_client.post(LIST, {"file": SimpleUploadedFile("consents.csv", ROWS)})
    assert small.status_code == 400
    assert f"The file is {len(ROWS)} bytes; an import takes at most 10 bytes. Split it into smaller files." in small.content.decode()

    huge = dpo_client.post(LIST, {"file": SimpleUploadedFile("consents.csv", b"x" * 100_000)})
    assert huge.status_code == 413
    assert "an import takes at most 10 bytes" in huge.content.decode()
    assert not ConsentImport.objects.exists()


def test_a_manager_follows_imports_but_cannot_upload(client_for, dpo, purpose):
    services.create_import(actor=dpo, upload=SimpleUploadedFile("consents.csv", ROWS))
    manager, _ = client_for(Role.COMPLIANCE_MANAGER)
    page = manager.get(LIST).content.decode()
    assert "consents.csv" in page and 'enctype="multipart/form-data"' not in page
    assert manager.post(LIST, {"file": SimpleUploadedFile("consents.csv", ROWS)}).status_code == 403
    assert ConsentImport.objects.count() == 1


@pytest.mark.parametrize("count", [10, 1000])
def test_the_list_costs_the_same_queries_however_many_imports(dpo_client, dpo, count, django_assert_max_num_queries):
    queued_imports(count, requested_by=dpo)
    with django_assert_max_num_queries(12):
        assert dpo_client.get(LIST).status_code == 200
