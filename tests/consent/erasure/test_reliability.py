"""Reliability of the erasure engine: lost messages, killed workers, stores that go away.

The crash test runs a real Celery worker as a subprocess against the committed
test database (services profile), kills it twice mid-run and checks that the
database, not the broker, carried every request to completion with each step
completed once. The store tests stop a Redis server the test started itself.
"""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone

from compliance.audit.services import record_event
from consent.erasure import execution, services
from consent.erasure.models import ErasureRequest, ErasureStep, StepStatus
from datasets.services import add_storage_location
from tests.brokers import closed_port, own_queue, profile_broker, wait_until  # noqa: F401 (fixtures)
from tests.compliance.audit.chain import only_on_postgresql
from tests.consent.erasure.stores import approve, shop_stores, store_root  # noqa: F401 (fixtures)


def _sweep_at(moment) -> dict[str, int]:
    with time_machine.travel(moment):
        return execution.sweep_expired_leases()


# --- Lost messages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweeper_resends_a_lost_message_once_per_lease_not_on_every_run(verified, shop_stores, approve, settings):
    request = approve(verified)
    queued_at = request.steps.get(location=shop_stores["csv"]).queued_at
    lease = timedelta(seconds=settings.ERASURE_STEP_LEASE_SECONDS)

    first = _sweep_at(queued_at + lease + timedelta(seconds=1))
    again = _sweep_at(queued_at + lease + timedelta(seconds=2))
    next_lease = _sweep_at(queued_at + 2 * lease + timedelta(seconds=2))

    assert (first["resent"], again["resent"], next_lease["resent"]) == (2, 0, 2)


@pytest.mark.django_db
def test_a_step_waiting_out_its_backoff_is_not_resent_before_a_lease_past_its_retry(
    verified, dataset, dpo, approve, settings
):
    settings.ERASURE_RETRY_BACKOFF_SECONDS = 100
    settings.ERASURE_STEP_LEASE_SECONDS = 10
    location = add_storage_location(
        actor=dpo, dataset=dataset, name="warehouse", kind="postgresql",
        url=f"postgresql://postgres@127.0.0.1:{closed_port()}/shop", table="customers", subject_key="external_id",
    )
    step = approve(verified).steps.get(location=location)
    failed_at = timezone.now()

    assert execution.run_step(step_id=step.pk) == execution.Outcome.RETRY

    step.refresh_from_db()
    # Attempt 1 waits between half and all of the 100 s base: the task sends itself for then.
    assert failed_at + timedelta(seconds=50) <= step.queued_at <= timezone.now() + timedelta(seconds=100)
    assert 0 < execution.retry_delay(step.pk) <= 100
    assert _sweep_at(failed_at + timedelta(seconds=11))["resent"] == 0
    assert _sweep_at(step.queued_at + timedelta(seconds=11))["resent"] == 1


# --- The sweeper and the audit chain's lock -----------------------------------------------------------


@pytest.fixture
def engine_queue(own_queue, settings):
    """Send the engine's tasks to a queue of this test's own (nothing consumes it here)."""
    settings.ERASURE_QUEUE = own_queue
    return own_queue


def _verified_request(make_request, make_subject, dpo, external_id):
    request = make_request(subject=make_subject(external_id))
    return services.verify_erasure_request(actor=dpo, request=request, method="id_document", evidence_note="Passport seen")


def _waiting_on_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        # Inside a transaction the statistics views keep their first snapshot unless it is cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_releases_the_audit_chain_before_locking_the_next_request(
    make_request, make_subject, make_location, dataset, dpo, engine_queue
):
    only_on_postgresql()
    make_location(dataset, "warehouse")
    first, second = (_verified_request(make_request, make_subject, dpo, f"user-{n}") for n in (1, 2))
    for request in (first, second):
        services.approve_erasure_request(actor=dpo, request=request)
    # Both steps' workers died: their leases lapsed.
    ErasureStep.objects.update(status=StepStatus.RUNNING, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1))
    swept = {}

    def sweep():
        try:
            swept["counts"] = execution.sweep_expired_leases()
        finally:
            connections.close_all()

    sweeper = threading.Thread(target=sweep)
    # A worker holds the second request (claiming another of its steps, say) and then records its event.
    with transaction.atomic():
        ErasureRequest.objects.select_for_update().get(pk=second.pk)
        sweeper.start()
        assert wait_until(_waiting_on_a_lock)  # the sweeper, done with the first step, waits for the second request
        record_event(actor=execution.ENGINE, action="erasure.test_claim", target=second, data={})
    sweeper.join(timeout=30)

    assert swept["counts"]["requeued"] == 2
    assert set(ErasureStep.objects.values_list("status", flat=True)) == {StepStatus.PENDING}
