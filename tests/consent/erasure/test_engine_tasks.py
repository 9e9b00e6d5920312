"""The execution engine through the real task path: a worker in a thread consuming the profile's broker."""

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.celery import app as celery_app
from consent.erasure import services
from consent.erasure.engine_tasks import run_erasure_step, sweep_expired_leases
from consent.erasure.models import ErasureRequest, ErasureStep, RequestStatus, StepStatus
from consent.models import ConsentEvent, ConsentStatus, DataSubject
from consent.services import record_consent
from datasets.models import ErasureStatus, TrainingRun
from datasets.services import add_storage_location, create_model, create_version, register_training_run
from tests.brokers import closed_port, own_queue, profile_broker, wait_until  # noqa: F401 (fixtures)
from tests.consent.erasure.stores import csv_rows, shop_stores, sqlite_rows, store_root  # noqa: F401 (fixtures)


@pytest.fixture
def engine_queue(own_queue, settings, tmp_path):
    settings.ERASURE_QUEUE = own_queue
    settings.MEDIA_ROOT = tmp_path / "media"
    return own_queue


def _runs(dpo, dataset):
    # The ML pipeline registers models and runs (an API key in production; the system here).
    dpo = SystemActor("training pipeline")
    with_subject = create_version(actor=dpo, dataset=dataset, label="v1", subject_keys=["user-1", "user-7"])
    # A Bloom filter answers "possibly present" at its false-positive rate, and the blind-index
    # key differs per checkout: a near-zero rate keeps "not present" certain whatever the key.
    without_subject = create_version(
        actor=dpo, dataset=dataset, label="v2", subject_keys=["user-7"], false_positive_rate=1e-9
    )
    unfiltered = create_version(actor=dpo, dataset=dataset, label="v3")
    model = create_model(actor=dpo, name="Churn")
    started = timezone.now() - timedelta(days=3)
    return {
        name: register_training_run(actor=dpo, model=model, dataset_versions=[version], started_at=started)
        for name, version in (("affected", with_subject), ("clean", without_subject), ("possibly", unfiltered))
    }


@pytest.mark.django_db(transaction=True)
def test_an_approved_request_is_erased_end_to_end_by_the_worker(
    verified, shop_stores, dpo, subject, purpose, dataset, engine_queue
):
    record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", collection_method="web_form", notice_version="v1")
    runs = _runs(dpo, dataset)

    with start_worker(celery_app, perform_ping_check=False, queues=[engine_queue]):
        services.approve_erasure_request(actor=dpo, request=verified)
        assert wait_until(lambda: ErasureRequest.objects.get(pk=verified.pk).status == RequestStatus.COMPLETED)
        assert wait_until(lambda: AuditEvent.objects.filter(action="erasure.certificate_issued").exists())

    request = ErasureRequest.objects.get(pk=verified.pk)
    assert sqlite_rows(shop_stores["database"]) == [("other@example.com", "gold")]
    assert csv_rows(shop_stores["orders"]) == [{"customer_id": "user-2", "plan": "pro"}]
    steps = list(request.steps.all())
    assert {step.status for step in steps} == {StepStatus.DONE}
    assert sorted(step.evidence["records_affected"] for step in steps) == [1, 2]
    assert AuditEvent.objects.filter(action="erasure.step_done").count() == 2
    # Consents withdrawn with the request as the reason.
    withdrawal = ConsentEvent.objects.get(subject=subject, status=ConsentStatus.WITHDRAWN)
    assert withdrawal.reason == f"erasure request {request.reference}"
    # Identifiers reduced to their blind indexes.
    reduced = DataSubject.objects.get(pk=subject.pk)
    assert (reduced.email, reduced.phone, reduced.name) == (None, None, None)
    assert reduced.email_index == subject.email_index and reduced.email_index
    assert reduced.external_id == "user-1"
    # Training runs flagged.
    assert TrainingRun.objects.get(pk=runs["affected"].pk).erasure_status == ErasureStatus.AFFECTED
    assert TrainingRun.objects.get(pk=runs["possibly"].pk).erasure_status == ErasureStatus.POSSIBLY_AFFECTED
    assert TrainingRun.objects.get(pk=runs["clean"].pk).erasure_status != ErasureStatus.AFFECTED
    # The certificate: a PDF whose sha256 is in the audit log.
    issued = AuditEvent.objects.get(action="erasure.certificate_issued")
    content = (Path(settings.MEDIA_ROOT) / "certificates" / issued.data["file"]).read_bytes()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == issued.data["sha256"]


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_task_requeues_a_step_whose_worker_died_and_the_worker_finishes_it(
    verified, shop_stores, dpo, engine_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        services.approve_erasure_request(actor=dpo, request=verified)
    # A worker claimed both steps and died: their leases lapsed.
    ErasureStep.objects.update(status=StepStatus.RUNNING, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1))
    ErasureRequest.objects.filter(pk=verified.pk).update(status=RequestStatus.RUNNING)

    with start_worker(celery_app, perform_ping_check=False, queues=[engine_queue]):
        sweep_expired_leases.apply_async(queue=engine_queue)
        assert wait_until(lambda: ErasureRequest.objects.get(pk=verified.pk).status == RequestStatus.COMPLETED)

    assert sorted(ErasureStep.objects.values_list("attempts", flat=True)) == [2, 2]
    assert sqlite_rows(shop_stores["database"]) == [("other@example.com", "gold")]


@pytest.mark.django_db
def test_the_task_for_a_step_that_is_gone_does_nothing():
    assert run_erasure_step.apply(args=(987654,)).get() == "not_claimed"
    assert not AuditEvent.objects.filter(action="erasure.step_started").exists()


@pytest.mark.django_db(transaction=True)
def test_a_store_that_stays_down_is_retried_through_the_broker_then_fails_the_request(
    verified, dataset, dpo, engine_queue, settings
):
    settings.ERASURE_MAX_ATTEMPTS = 3
    settings.ERASURE_RETRY_BACKOFF_SECONDS = 0
    location = add_storage_location(
        actor=dpo, dataset=dataset, name="warehouse", kind="postgresql",
        url=f"postgresql://postgres@127.0.0.1:{closed_port()}/shop", table="customers", subject_key="external_id",
    )

    with start_worker(celery_app, perform_ping_check=False, queues=[engine_queue]):
        services.approve_erasure_request(actor=dpo, request=verified)
        assert wait_until(lambda: ErasureRequest.objects.get(pk=verified.pk).status == RequestStatus.FAILED)

    step = ErasureStep.objects.get(location=location)
    assert step.status == StepStatus.FAILED
    assert step.attempts == 3
    assert step.last_error.startswith("Gave up after 3 attempts. Last error: ")
    assert AuditEvent.objects.filter(action="erasure.step_retrying").count() == 2
