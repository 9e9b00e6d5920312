"""Checks of ML models: no training run flagged by an erasure stays unresolved for more than 30 days."""

from datetime import datetime, timedelta

from django.urls import reverse

from compliance.controls.checks.registry import CheckOutcome, FailingObject, check, is_are, judge, on, passed, plural
from datasets.compliance_selectors import flagged_runs_tally, runs_flagged_before

RESOLUTION_DEADLINE = timedelta(days=30)


def _since(run) -> str:
    return f" since {on(run.flagged_at)}" if run.flagged_at else ", flag date unknown"


@check(
    key="models.flagged_runs_resolved",
    title="Training runs flagged by erasure are resolved within 30 days",
    description=(
        "A training run whose data held an erased person (affected or possibly affected) is retrained, "
        "has unlearning applied or is recorded as exempt within 30 days of being flagged."
    ),
)
def flagged_runs_resolved(*, now: datetime) -> CheckOutcome:
    limit = now - RESOLUTION_DEADLINE
    # A flagged run without a flag date cannot show it is within the 30 days: the selector counts it as late.
    tally = flagged_runs_tally(flagged_before=limit)
    if tally.total == 0:
        return passed("No training run is flagged by an erasure.")
    return judge(
        runs_flagged_before(limit),
        count=tally.failing,
        summary=lambda count: f"{count} of {plural(tally.total, 'flagged training run')} {is_are(count)} unresolved after 30 days.",
        entry=lambda run: FailingObject(
            label=f"Run #{run.pk} of {run.model.name} ({run.get_erasure_status_display().lower()}{_since(run)})",
            url=reverse("models:run_detail", args=[run.pk]),
        ),
    )
