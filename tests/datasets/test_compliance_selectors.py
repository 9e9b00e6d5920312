"""Reads for the automated checks that do more than filter: override allowances and runs flagged long ago."""

from datetime import timedelta

import pytest
from django.utils import timezone

from datasets.compliance_selectors import allowed_epsilon_overrun, flagged_runs_tally, runs_flagged_before
from datasets.models import ErasureStatus, PrivacyBudgetOverride, TrainingRun

pytestmark = pytest.mark.django_db


def run(model, **fields):
    return TrainingRun.objects.create(model=model, started_at=timezone.now() - timedelta(days=90), **fields)


def override(dataset, model, dpo, epsilon_over, used_by=None):
    return PrivacyBudgetOverride.objects.create(
        dataset=dataset, model=model, epsilon_over=epsilon_over, reason="Retraining after erasure", created_by=dpo, run=used_by
    )


def test_the_allowed_overrun_is_the_largest_override_a_run_used(make_dataset, model, dpo, django_assert_num_queries):
    clinic = make_dataset("Clinic visits", privacy_budget_epsilon=4.0)
    shop = make_dataset("Shop customers", privacy_budget_epsilon=2.0)
    override(clinic, model, dpo, 1.5, used_by=run(model))
    override(clinic, model, dpo, 0.5, used_by=run(model))
    override(clinic, model, dpo, 9.0)  # granted but never used by a run: allows nothing yet
    override(shop, model, dpo, 3.0)

    with django_assert_num_queries(1):
        allowed = allowed_epsilon_overrun(dataset_ids=[clinic.pk, shop.pk])

    assert allowed == {clinic.pk: 1.5}


def test_a_run_flagged_on_an_unknown_date_counts_as_flagged_before_any_moment(model):
    limit = timezone.now() - timedelta(days=30)
    run(model, erasure_status=ErasureStatus.AFFECTED, flagged_at=timezone.now() - timedelta(days=2))
    old = run(model, erasure_status=ErasureStatus.POSSIBLY_AFFECTED, flagged_at=timezone.now() - timedelta(days=31))
    undated = run(model, erasure_status=ErasureStatus.AFFECTED, flagged_at=None)
    run(model)

    tally = flagged_runs_tally(flagged_before=limit)

    # Where an undated run sorts (first or last) is the database's choice; which runs are listed is not.
    assert {flagged.pk for flagged in runs_flagged_before(limit)} == {old.pk, undated.pk}
    assert (tally.total, tally.failing) == (3, 2)
