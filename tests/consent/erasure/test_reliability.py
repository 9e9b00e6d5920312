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
from celery.contrib.testing.worker import start_worker
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.services import record_event
from compliance.celery import app as celery_app
from consent.erasure import execution, services
from consent.erasure.models import ErasureRequest, ErasureStep, RequestStatus, StepStatus
from datasets.services import add_storage_location
from tests.brokers import closed_port, own_queue, profile_broker, wait_until  # noqa: F401 (fixtures)
from tests.compliance.audit.chain import only_on_postgresql
from tests.conftest import verified_client
from tests.consent.erasure.processes import RedisServer
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


# --- A store goes away ---------------------------------------------------------------------------------


@pytest.fixture
def redis_store(tmp_path, verified, dataset, dpo):
    """A Redis server of this test's own, holding the subject's keys and another person's, registered as a location."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    client = server.client()
    client.hset("user:user-1:profile", mapping={"email": "jane.doe@example.com", "plan": "gold"})
    client.rpush("user:user-1:cart", "book", "lamp")
    client.hset("user:user-2:profile", mapping={"email": "other@example.com", "plan": "basic"})
    server.location = add_storage_location(
        actor=dpo, dataset=dataset, name="sessions", kind="redis", url=server.url, key_pattern="user:{key}:*",
        subject_key="external_id",
    )
    yield server
    server.stop()


def _unreachable(server) -> str:
    return f"The Redis server at {server.address} did not answer (connection refused or timed out); Custos will try again."


@pytest.mark.django_db(transaction=True)
def test_steps_on_a_store_that_went_away_retry_with_backoff_and_complete_when_it_returns(
    verified, redis_store, dpo, engine_queue, settings
):
    settings.ERASURE_RETRY_BACKOFF_SECONDS = 1
    settings.ERASURE_RETRY_BACKOFF_MAX_SECONDS = 2
    settings.ERASURE_MAX_ATTEMPTS = 50
    step_of = lambda: ErasureStep.objects.get(location=redis_store.location)  # noqa: E731

    with start_worker(celery_app, perform_ping_check=False, queues=[engine_queue]):
        redis_store.stop()
        services.approve_erasure_request(actor=dpo, request=verified)
        assert wait_until(lambda: step_of().attempts >= 3 and step_of().status == StepStatus.PENDING)
        waiting = step_of()
        redis_store.start()
        assert wait_until(lambda: ErasureRequest.objects.get(pk=verified.pk).status == RequestStatus.COMPLETED)

    assert waiting.last_error == _unreachable(redis_store)
    step = step_of()
    assert step.status == StepStatus.DONE
    assert step.attempts > waiting.attempts >= 3
    retried = AuditEvent.objects.filter(action="erasure.step_retrying", target_id=str(step.pk)).order_by("pk")
    assert [event.data["attempts"] for event in retried] == list(range(1, step.attempts))
    assert step.completions.get().attempt == step.attempts
    assert step.evidence["records_affected"] == 2
    assert sorted(redis_store.client().keys("*")) == ["user:user-2:profile"]


@pytest.mark.django_db(transaction=True)
def test_a_store_down_past_the_attempt_limit_fails_the_request_with_the_reason_on_its_page(
    verified, redis_store, dpo, engine_queue, settings
):
    settings.ERASURE_RETRY_BACKOFF_SECONDS = 0
    settings.ERASURE_MAX_ATTEMPTS = 3

    with start_worker(celery_app, perform_ping_check=False, queues=[engine_queue]):
        redis_store.stop()
        services.approve_erasure_request(actor=dpo, request=verified)
        assert wait_until(lambda: ErasureRequest.objects.get(pk=verified.pk).status == RequestStatus.FAILED)
    response = verified_client(dpo).get(reverse("erasure:request_detail", args=[verified.pk]))

    reason = f"Gave up after 3 attempts. Last error: {_unreachable(redis_store)}"
    step = ErasureStep.objects.get(location=redis_store.location)
    assert (step.status, step.attempts, step.last_error) == (StepStatus.FAILED, 3, reason)
    assert response.status_code == 200
    assert reason in response.content.decode()
    failed = AuditEvent.objects.get(action="erasure.failed", target_id=str(verified.pk))
    assert failed.data["reason"] == reason
    # The data is still there, and the request says so rather than claiming it done.
    redis_store.start()
    assert sorted(redis_store.client().keys("*")) == ["user:user-1:cart", "user:user-1:profile", "user:user-2:profile"]
