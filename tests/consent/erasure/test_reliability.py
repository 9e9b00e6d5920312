"""Reliability of the erasure engine: lost messages, killed workers, stores that go away.

The crash test runs a real Celery worker as a subprocess against the committed
test database (services profile), kills it twice mid-run and checks that the
database, not the broker, carried every request to completion with each step
completed once. The store tests stop a Redis server the test started itself.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from consent.erasure import execution
from consent.erasure.models import ErasureStep, StepStatus
from datasets.services import add_storage_location
from tests.brokers import closed_port
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
