"""Completing an erasure withdraws the person's consents: the maintained consent counts follow (consent.counters)."""

import pytest

from consent import selectors
from consent.erasure import execution
from consent.erasure.models import RequestStatus
from consent.services import record_consent
from tests.consent.erasure.stores import approve, shop_stores, store_root  # noqa: F401 (fixtures)
from tests.consent.test_counters import assert_counts_match, maintained_counts

pytestmark = pytest.mark.django_db


def test_completion_moves_the_counts_from_granted_to_withdrawn(verified, shop_stores, approve, dpo, subject, purpose, make_subject):
    record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", collection_method="app", notice_version="v1")
    record_consent(actor=dpo, subject=make_subject("bystander"), purpose=purpose, status="granted", collection_method="app", notice_version="v1")
    request = approve(verified)

    for step in request.steps.all():
        assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE
    request.refresh_from_db()

    assert request.status == RequestStatus.COMPLETED
    assert_counts_match()
    assert maintained_counts()["states"] == {(purpose.pk, "granted"): 1, (purpose.pk, "withdrawn"): 1}
    assert selectors.coverage_for_purpose(purpose=purpose).granted == 1
