"""Check of ML models: no run flagged by an erasure stays unresolved past 30 days."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.controls.checks.registry import on
from datasets.models import ErasureStatus, Resolution, TrainingRun
from datasets.services import create_model
from tests.compliance.controls.checks.conftest import labels, urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(make_user):
    return create_model(actor=make_user(Role.ML_ENGINEER, username="engineer"), name="Churn predictor")


def run(model, **fields):
    return TrainingRun.objects.create(model=model, started_at=timezone.now() - timedelta(days=90), **fields)


def test_passes_when_no_run_is_flagged(evaluate, model):
    run(model)

    outcome = evaluate("models.flagged_runs_resolved")

    assert (outcome.status, outcome.summary) == ("pass", "No training run is flagged by an erasure.")


def test_passes_when_flagged_runs_are_recent_or_resolved(evaluate, model):
    run(model)
    run(model, erasure_status=ErasureStatus.AFFECTED, flagged_at=timezone.now() - timedelta(days=29))
    run(
        model,
        erasure_status=ErasureStatus.RESOLVED,
        flagged_at=timezone.now() - timedelta(days=60),
        resolution=Resolution.EXEMPT,
        resolution_reason="Trained with DP-SGD at ε 0.5",
    )

    outcome = evaluate("models.flagged_runs_resolved")

    assert (outcome.status, outcome.summary) == ("pass", "0 of 1 flagged training run are unresolved after 30 days.")


def test_fails_on_a_run_flagged_more_than_30_days_ago(evaluate, model):
    run(model, erasure_status=ErasureStatus.AFFECTED, flagged_at=timezone.now() - timedelta(days=2))
    stale = run(model, erasure_status=ErasureStatus.POSSIBLY_AFFECTED, flagged_at=timezone.now() - timedelta(days=31))

    outcome = evaluate("models.flagged_runs_resolved")

    assert outcome.status == "fail"
    assert outcome.summary == "1 of 2 flagged training runs is unresolved after 30 days."
    assert labels(outcome) == [f"Run #{stale.pk} of Churn predictor (possibly affected by erasure since {on(stale.flagged_at)})"]
    assert urls(outcome) == [reverse("models:run_detail", args=[stale.pk])]
