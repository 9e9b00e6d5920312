"""The access export through the real task path: a worker in a thread consuming the profile's broker."""

import pytest
from celery.contrib.testing.worker import start_worker

from compliance.audit.models import AuditEvent
from compliance.celery import app as celery_app
from consent.erasure import access_engine, access_services
from consent.erasure.access_models import AccessRequest, AccessStatus
from consent.erasure.access_tasks import export_location
from tests.brokers import own_queue, profile_broker, wait_until  # noqa: F401 (fixtures)
from tests.consent.erasure.access_fixtures import access_root, file_access, zip_json  # noqa: F401 (fixtures)
from tests.consent.erasure.stores import shop_stores, store_root  # noqa: F401 (fixtures)


@pytest.fixture
def access_queue(own_queue, settings):
    settings.ERASURE_QUEUE = own_queue
    return own_queue


@pytest.mark.django_db(transaction=True)
def test_a_verified_request_is_exported_end_to_end_by_the_worker(file_access, subject, shop_stores, dpo, access_queue, access_root):
    request = file_access(subject=subject)

    with start_worker(celery_app, perform_ping_check=False, queues=[access_queue]):
        access_services.verify_access_request(actor=dpo, request=request, method="id_document", evidence_note="Passport")
        assert wait_until(lambda: AccessRequest.objects.get(pk=request.pk).status == AccessStatus.READY)

    request.refresh_from_db()
    files = zip_json(access_engine.archive_for_download(actor=dpo, request=request))
    assert files["locations/02-shop-customers-orders.json"] == [{"customer_id": "user-1", "plan": "basic"}]
    assert len(files["locations/01-shop-customers-customers.json"]) == 2
    assert AuditEvent.objects.filter(action="access.location_read").count() == 2
    assert AuditEvent.objects.filter(action="access.ready").count() == 1
    # Only the archive is left on disk once the parts are in it.
    assert [path.name for path in access_root.iterdir()] == [request.archive_name]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_verification_sends_nothing(file_access, subject, shop_stores, dpo, access_queue, access_root):
    from django.db import transaction

    from tests.brokers import messages_waiting

    request = file_access(subject=subject)
    with pytest.raises(RuntimeError), transaction.atomic():
        access_services.verify_access_request(actor=dpo, request=request, method="id_document", evidence_note="Passport")
        raise RuntimeError("rolled back")

    assert messages_waiting(access_queue) == 0
    assert AccessRequest.objects.get(pk=request.pk).status == AccessStatus.RECEIVED


def test_the_task_of_a_missing_result_does_nothing(db):
    assert export_location.run(999999) == "not_claimed"


def test_the_beat_sweep_is_registered_and_runs(db, settings):
    from consent.erasure.access_tasks import sweep_access_requests

    entry = settings.CELERY_BEAT_SCHEDULE["access-sweep"]
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks
    assert sweep_access_requests.run() == {"resent": 0, "assembled": 0, "expired": 0}
