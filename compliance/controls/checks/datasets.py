"""Checks of the dataset registry: encryption at rest, owners, retention, lawful bases and privacy budgets.

Every dataset counts, archived ones too: archiving stops new use, but the data
is held until its retention removes it.
"""

from datetime import datetime

from django.db.models import QuerySet
from django.urls import reverse

from compliance.controls.checks.registry import CheckOutcome, FailingObject, check, failed, has_have, is_are, judge, no_data, passed, plural
from datasets.compliance_selectors import (
    all_datasets,
    allowed_epsilon_overrun,
    budgeted_datasets,
    datasets_with_personal_data,
    datasets_without_lawful_basis,
    datasets_without_owner,
    datasets_without_retention,
    personal_datasets_without_encryption,
)
from datasets.selectors import epsilon_spent

# ε figures are floats: a sum landing a rounding error above the budget is not over it (as registration judges).
EPSILON_TOLERANCE = 1e-9


def dataset_link(dataset, note: str = "") -> FailingObject:
    """Return a failing entry for ``dataset``, linked to its page, with an optional note in brackets."""
    label = f"{dataset.name} ({note})" if note else dataset.name
    return FailingObject(label=label, url=reverse("datasets:detail", args=[dataset.slug]))


def _datasets_lacking(population: QuerySet, lacking: QuerySet, *, described: str, lack: str) -> CheckOutcome:
    """Fail when ``lacking`` (the ordered datasets of ``population`` that fall short) is not empty.

    The summary reads "2 of 14 datasets with personal data are not encrypted at
    rest": ``described`` completes "N datasets" and ``lack`` is the predicate.
    """
    total = population.count()
    if total == 0:
        return no_data(f"No dataset{' ' + described if described else ''} is registered yet.")
    noun = f"{plural(total, 'dataset')}{' ' + described if described else ''}"
    return judge(
        lacking,
        summary=lambda count: f"{count} of {noun} {is_are(count)} {lack}.",
        entry=dataset_link,
    )


@check(
    key="datasets.personal_data_encrypted",
    title="Personal data is encrypted at rest",
    description="Every dataset that holds personal data (names at least one data category) records its encryption at rest.",
)
def personal_data_encrypted(*, now: datetime) -> CheckOutcome:
    return _datasets_lacking(
        datasets_with_personal_data(),
        personal_datasets_without_encryption(),
        described="with personal data",
        lack="not encrypted at rest",
    )


@check(
    key="datasets.owner_assigned",
    title="Every dataset has an owner",
    description="Each dataset names the data steward accountable for keeping its entry current.",
)
def owner_assigned(*, now: datetime) -> CheckOutcome:
    return _datasets_lacking(all_datasets(), datasets_without_owner(), described="", lack="without an owner")


@check(
    key="datasets.retention_set",
    title="Every dataset has a retention period",
    description="Each dataset says how long its data is kept (storage limitation, GDPR Art. 5(1)(e)).",
)
def retention_set(*, now: datetime) -> CheckOutcome:
    return _datasets_lacking(
        all_datasets(), datasets_without_retention(), described="", lack="without a retention period"
    )


@check(
    key="datasets.lawful_basis_set",
    title="Every dataset has a lawful basis",
    description="Each dataset records at least one lawful basis for its processing (GDPR Art. 6(1)).",
)
def lawful_basis_set(*, now: datetime) -> CheckOutcome:
    return _datasets_lacking(
        all_datasets(), datasets_without_lawful_basis(), described="", lack="without a lawful basis"
    )


def _format_epsilon(value: float) -> str:
    return f"{value:.4g}"


@check(
    key="datasets.dp_budget_within",
    title="No differential-privacy budget is exceeded",
    description=(
        "The ε spent by differentially private training runs on a dataset stays within its privacy budget, "
        "plus any overrun the DPO allowed through a recorded override."
    ),
)
def dp_budget_within(*, now: datetime) -> CheckOutcome:
    budgeted = budgeted_datasets()
    if not budgeted:
        return no_data("No dataset has a privacy budget (ε) set.")
    dataset_ids = [dataset.pk for dataset in budgeted]
    spent = epsilon_spent(dataset_ids=dataset_ids)
    # An override lets spending reach budget + its allowance.
    allowed_over = allowed_epsilon_overrun(dataset_ids=dataset_ids)

    def past(dataset, allowance: float) -> bool:
        return spent.get(dataset.pk, 0.0) > dataset.privacy_budget_epsilon + allowance + EPSILON_TOLERANCE

    over = [dataset for dataset in budgeted if past(dataset, allowed_over.get(dataset.pk, 0.0))]
    overridden = sum(1 for dataset in budgeted if past(dataset, 0.0)) - len(over)
    under_override = f" ({overridden} past its budget under a DPO override)" if overridden else ""
    summary = (
        f"{len(over)} of {plural(len(budgeted), 'dataset')} with a privacy budget "
        f"{has_have(len(over))} spent more ε than allowed{under_override}."
    )
    if not over:
        return passed(summary)
    return failed(
        summary,
        [
            dataset_link(
                dataset,
                f"ε {_format_epsilon(spent.get(dataset.pk, 0.0))} spent of {_format_epsilon(dataset.privacy_budget_epsilon)}",
            )
            for dataset in over
        ],
    )
