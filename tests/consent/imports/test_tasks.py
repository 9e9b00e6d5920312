"""The import task, sent through the profile's real broker to a worker running in a thread."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.accounts import services as account_services
from compliance.audit.actors import SYSTEM
from compliance.celery import app as celery_app
from consent.imports.tasks import process_consent_import
from consent.models import ConsentEvent, ConsentImport
from consent.services import create_purpose, publish_notice
from tests.brokers import own_queue, profile_broker, wait_until  # noqa: F401 (fixtures)
from tests.consent.imports.conftest import csv_file


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_recorded_by_a_worker_in_batches_handed_from_task_to_task(client, own_queue, settings):
    settings.CONSENT_IMPORT_QUEUE = own_queue
    settings.CONSENT_IMPORT_BATCH_ROWS = 2
    # Each task does one batch, then queues the rest as a new task.
    settings.CONSENT_IMPORT_TASK_SECONDS = 0
    purpose = create_purpose(actor=SYSTEM, code="marketing", name="Marketing", lawful_basis="consent")
    publish_notice(actor=SYSTEM, purpose=purpose, version="v1", text="Offers.")
    _, plaintext = account_services.create_api_key(actor=SYSTEM, name="exporter", scopes=["consent:write", "consent:read"])
    rows = [f"s-{number},marketing,granted,v1,app,2025-01-02T10:00:00Z,,ev-{number}" for number in range(5)]

    with start_worker(celery_app, perform_ping_check=False, queues=[own_queue]):
        response = client.post(
            "/api/v1/consents/imports/",
            {"file": SimpleUploadedFile("consents.csv", csv_file(*rows))},
            headers={"Authorization": f"Bearer {plaintext}"},
        )
        assert response.status_code == 202
        job_id = response.json()["id"]
        assert wait_until(lambda: ConsentImport.objects.get(pk=job_id).finished)

    job = ConsentImport.objects.get(pk=job_id)
    assert (job.status, job.rows_recorded, job.rows_failed) == ("completed", 5, 0)
    assert ConsentEvent.objects.count() == 5


@pytest.mark.django_db
def test_the_task_leaves_a_missing_or_finished_import_alone(dpo, purpose):
    process_consent_import("00000000-0000-0000-0000-000000000000")
    job = ConsentImport.objects.create(
        file_format="csv", file_name="a.csv", stored_name="imports/gone.upload", size_bytes=1, requested_by="x", status="failed", failure="Gone."
    )
    process_consent_import(str(job.pk))
    job.refresh_from_db()
    assert (job.status, job.failure, job.started_at) == ("failed", "Gone.", None)
