"""The execution engine's services against real stores: claiming under a lease, outcomes, retries, completion."""

import sqlite3
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from compliance.audit.models import AuditEvent
from consent.erasure import execution, services
from consent.erasure.models import ErasureStep, RequestStatus, StepStatus
from consent.erasure.services import ErasureActionRefused
from datasets import connectors
from datasets.services import add_storage_location
from tests.brokers import closed_port
from tests.consent.erasure.stores import approve, csv_rows, shop_stores, sqlite_rows, store_root  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(verified, shop_stores, approve):
    return approve(verified)


def _step(request, location) -> ErasureStep:
    return request.steps.get(location=location)


def test_claiming_marks_the_step_running_with_a_lease_and_the_request_running(approved, shop_stores, settings):
    step = _step(approved, shop_stores["sqlite"])
    now = timezone.now()

    claimed = execution.claim_step(step_id=step.pk, now=now)

    assert claimed.status == StepStatus.RUNNING
    assert claimed.attempts == 1
    assert claimed.lease_expires_at == now + timedelta(seconds=settings.ERASURE_STEP_LEASE_SECONDS)
    approved.refresh_from_db()
    assert approved.status == RequestStatus.RUNNING


def test_a_second_claim_of_a_running_step_with_a_live_lease_does_nothing(approved, shop_stores):
    step = _step(approved, shop_stores["sqlite"])
    execution.claim_step(step_id=step.pk)

    assert execution.claim_step(step_id=step.pk) is None
    step.refresh_from_db()
    assert step.attempts == 1


def test_a_claim_of_a_finished_or_missing_step_does_nothing(approved, shop_stores):
    step = _step(approved, shop_stores["sqlite"])
    assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE

    assert execution.claim_step(step_id=step.pk) is None
    assert execution.claim_step(step_id=999999) is None


def test_running_every_step_erases_the_rows_records_evidence_once_and_completes(approved, shop_stores, subject):
    for step in approved.steps.all():
        assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE

    approved.refresh_from_db()
    assert approved.status == RequestStatus.COMPLETED
    assert sqlite_rows(shop_stores["database"]) == [("other@example.com", "gold")]
    assert csv_rows(shop_stores["orders"]) == [{"customer_id": "user-2", "plan": "pro"}]
    sqlite_step = _step(approved, shop_stores["sqlite"])
    assert sqlite_step.evidence["records_affected"] == 2
    assert sqlite_step.evidence["rows_before"] == 3
    assert sqlite_step.evidence["rows_after"] == 1
    assert sqlite_step.evidence["mode"] == "delete"
    assert AuditEvent.objects.filter(action="erasure.step_done").count() == 2
    assert AuditEvent.objects.filter(action="erasure.completed").count() == 1


def test_a_duplicate_delivery_after_the_step_is_done_records_nothing_more(approved, shop_stores):
    step = _step(approved, shop_stores["csv"])
    execution.run_step(step_id=step.pk)
    evidence = ErasureStep.objects.get(pk=step.pk).evidence

    assert execution.run_step(step_id=step.pk) == execution.Outcome.NOT_CLAIMED
    assert ErasureStep.objects.get(pk=step.pk).evidence == evidence
    assert AuditEvent.objects.filter(action="erasure.step_done", target_id=str(step.pk)).count() == 1


def test_erasing_again_after_an_expired_lease_reports_zero(approved, shop_stores):
    step = _step(approved, shop_stores["sqlite"])
    claimed = execution.claim_step(step_id=step.pk)
    # The first worker erased, then died before recording it: the store already lacks the rows.
    connectors.erase(claimed.location, execution.subject_keys(approved))
    with time_machine.travel(claimed.lease_expires_at + timedelta(seconds=1)):
        assert execution.sweep_expired_leases()["requeued"] == 1
        assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE

    step.refresh_from_db()
    assert step.attempts == 2
    assert step.evidence["records_affected"] == 0


def test_the_sweeper_requeues_an_expired_lease_after_commit(approved, shop_stores, django_capture_on_commit_callbacks):
    step = _step(approved, shop_stores["sqlite"])
    claimed = execution.claim_step(step_id=step.pk)

    with time_machine.travel(claimed.lease_expires_at + timedelta(seconds=1)):
        with django_capture_on_commit_callbacks() as callbacks:
            counts = execution.sweep_expired_leases()

    # The lapsed step goes back to the queue; the other, pending since before the lease, is sent again too.
    assert counts == {"requeued": 1, "failed": 0, "resent": 1, "completed": 0}
    assert len(callbacks) == 2
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING
    assert step.last_error == "The worker running this step stopped before it finished (its lease expired)."


def test_the_sweeper_leaves_a_live_lease_alone(approved, shop_stores):
    step = _step(approved, shop_stores["sqlite"])
    execution.claim_step(step_id=step.pk)

    assert execution.sweep_expired_leases()["requeued"] == 0
    step.refresh_from_db()
    assert step.status == StepStatus.RUNNING


def test_a_step_past_the_attempt_limit_fails_with_the_reason(approved, shop_stores, settings):
    settings.ERASURE_MAX_ATTEMPTS = 2
    step = _step(approved, shop_stores["sqlite"])
    for _ in range(2):
        claimed = execution.claim_step(step_id=step.pk)
        with time_machine.travel(claimed.lease_expires_at + timedelta(seconds=1)):
            execution.sweep_expired_leases()

    step.refresh_from_db()
    approved.refresh_from_db()
    assert step.status == StepStatus.FAILED
    assert step.last_error == (
        "Gave up after 2 attempts. Last error: The worker running this step stopped before it finished (its lease expired)."
    )
    assert approved.status == RequestStatus.FAILED


def _location_down(dpo, dataset):
    return add_storage_location(
        actor=dpo, dataset=dataset, name="warehouse", kind="postgresql",
        url=f"postgresql://postgres@127.0.0.1:{closed_port()}/shop", table="customers", subject_key="external_id",
    )


def test_a_store_that_is_down_is_retried_until_the_attempt_limit(verified, dataset, dpo, approve, settings):
    settings.ERASURE_MAX_ATTEMPTS = 2
    location = _location_down(dpo, dataset)
    request = approve(verified)
    step = _step(request, location)

    assert execution.run_step(step_id=step.pk) == execution.Outcome.RETRY
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING
    first_error = step.last_error
    assert "Custos will try again" in first_error

    assert execution.run_step(step_id=step.pk) == execution.Outcome.FAILED
    step.refresh_from_db()
    assert step.status == StepStatus.FAILED
    assert step.last_error == f"Gave up after 2 attempts. Last error: {first_error}"


def test_a_missing_table_fails_the_step_at_once_with_a_readable_reason(verified, store_root, dataset, dpo, approve):
    database = store_root / "empty.sqlite3"
    sqlite3.connect(database).close()
    location = add_storage_location(
        actor=dpo, dataset=dataset, name="legacy", kind="sqlite", path=str(database), table="customers",
        subject_key="external_id", subject_field="customer_id",
    )
    request = approve(verified)
    step = _step(request, location)

    assert execution.run_step(step_id=step.pk) == execution.Outcome.FAILED

    step.refresh_from_db()
    request.refresh_from_db()
    assert step.attempts == 1
    assert step.last_error == f"Table customers does not exist in database {database}."
    assert request.status == RequestStatus.FAILED


def test_retrying_failed_steps_returns_the_request_to_running_and_enqueues_them(
    verified, dataset, dpo, approve, django_capture_on_commit_callbacks, settings
):
    settings.ERASURE_MAX_ATTEMPTS = 1
    location = _location_down(dpo, dataset)
    request = approve(verified)
    step = _step(request, location)
    execution.run_step(step_id=step.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED

    with django_capture_on_commit_callbacks() as callbacks:
        execution.retry_failed_steps(actor=dpo, request=request)

    request.refresh_from_db()
    step.refresh_from_db()
    assert request.status == RequestStatus.RUNNING
    assert (step.status, step.attempts) == (StepStatus.PENDING, 0)
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="erasure.steps_retried").count() == 1


def test_retrying_a_request_that_has_not_failed_is_refused(approved, dpo):
    with pytest.raises(ErasureActionRefused) as refused:
        execution.retry_failed_steps(actor=dpo, request=approved)

    assert refused.value.message == f"Request {approved.reference} is approved; only failed requests can be retried."


class Rollback(Exception):
    pass


def test_a_rolled_back_approval_enqueues_nothing(verified, shop_stores, dpo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback):
            with transaction.atomic():
                services.approve_erasure_request(actor=dpo, request=verified)
                raise Rollback

    assert callbacks == []
    assert not ErasureStep.objects.exists()


def test_approval_enqueues_one_task_per_pending_step_after_commit(verified, shop_stores, dpo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.approve_erasure_request(actor=dpo, request=verified)

    assert len(callbacks) == 2


def test_the_backoff_grows_exponentially_within_its_jitter_and_cap(settings):
    settings.ERASURE_RETRY_BACKOFF_SECONDS = 10
    settings.ERASURE_RETRY_BACKOFF_MAX_SECONDS = 300
    assert 5 <= execution.retry_countdown(1) <= 10
    assert 20 <= execution.retry_countdown(3) <= 40
    assert 150 <= execution.retry_countdown(10) <= 300


def test_the_lease_outlasts_the_time_limit_which_is_below_the_visibility_timeout(settings):
    from consent.erasure.engine_tasks import run_erasure_step

    assert run_erasure_step.time_limit < settings.ERASURE_STEP_LEASE_SECONDS
    assert run_erasure_step.time_limit < settings.BROKER_VISIBILITY_TIMEOUT_SECONDS
    assert run_erasure_step.acks_late and run_erasure_step.reject_on_worker_lost
    assert run_erasure_step.max_retries == settings.ERASURE_MAX_ATTEMPTS


def test_the_sweeper_completes_an_approved_request_left_with_nothing_to_run(verified, dpo, approve, settings):
    request = approve(verified)  # no location: no step, and the completion after commit was not run

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.ERASURE_STEP_LEASE_SECONDS + 1)):
        counts = execution.sweep_expired_leases()

    request.refresh_from_db()
    assert counts["completed"] == 1
    assert request.status == RequestStatus.COMPLETED
