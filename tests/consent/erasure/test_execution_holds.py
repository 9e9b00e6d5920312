"""A legal hold set after approval still stops the steps it covers, when the engine claims them."""

import pytest

from compliance.audit.models import AuditEvent
from consent.erasure import execution, services
from consent.erasure.models import RequestStatus, StepStatus
from tests.consent.erasure.stores import approve, csv_rows, shop_stores, sqlite_rows, store_root  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_dataset_hold_set_after_approval_skips_the_steps_with_the_hold_named(verified, shop_stores, approve, dpo, dataset):
    request = approve(verified)
    hold = services.set_legal_hold(actor=dpo, dataset=dataset, reason="Litigation: case 42")
    steps = list(request.steps.all())

    assert [execution.run_step(step_id=step.pk) for step in steps] == [execution.Outcome.NOT_CLAIMED] * 2

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    for step in request.steps.all():
        assert step.status == StepStatus.SKIPPED
        assert step.attempts == 0
        assert step.legal_hold == hold
        assert step.skipped_reason == f"Legal hold #{hold.pk} on {hold.target_label}: Litigation: case 42"
    assert len(sqlite_rows(shop_stores["database"])) == 3
    assert len(csv_rows(shop_stores["orders"])) == 2
    assert AuditEvent.objects.filter(action="erasure.step_skipped").count() == 2
    assert AuditEvent.objects.filter(action="erasure.completed").count() == 1


def test_a_subject_hold_set_after_the_first_step_ran_skips_the_rest(verified, shop_stores, approve, dpo, subject):
    request = approve(verified)
    first, second = request.steps.order_by("pk")
    assert execution.run_step(step_id=first.pk) == execution.Outcome.DONE
    hold = services.set_legal_hold(actor=dpo, subject=subject, reason="Regulator inquiry")

    assert execution.run_step(step_id=second.pk) == execution.Outcome.NOT_CLAIMED

    first.refresh_from_db()
    second.refresh_from_db()
    request.refresh_from_db()
    assert (first.status, second.status) == (StepStatus.DONE, StepStatus.SKIPPED)
    assert second.legal_hold == hold
    assert request.status == RequestStatus.COMPLETED


def test_a_released_hold_no_longer_stops_a_step(verified, shop_stores, approve, dpo, dataset):
    request = approve(verified)
    hold = services.set_legal_hold(actor=dpo, dataset=dataset, reason="Litigation: case 42")
    services.release_legal_hold(actor=dpo, hold=hold)

    assert [execution.run_step(step_id=step.pk) for step in request.steps.all()] == [execution.Outcome.DONE] * 2
    assert not request.steps.filter(legal_hold__isnull=False).exists()
