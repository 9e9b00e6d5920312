"""Checks of the dataset registry: encryption at rest, owner, retention, lawful basis, privacy budgets."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from datasets.models import PrivacyBudgetOverride, PrivacyTechnique, TrainingRun
from datasets.services import create_dataset, create_model, create_version
from tests.compliance.controls.checks.conftest import labels, urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward(make_user):
    return make_user(Role.DATA_STEWARD, username="steward")


def complete(dpo, steward, name, **fields):
    """Register a dataset with everything the checks look for, unless ``fields`` say otherwise."""
    values = {
        "owner": steward,
        "data_categories": ["contact"],
        "lawful_bases": ["contract"],
        "retention_days": 365,
        "encryption_at_rest": "AES-256",
        **fields,
    }
    return create_dataset(actor=dpo, name=name, **values)


def test_no_dataset_means_no_data(evaluate):
    for key in ("datasets.personal_data_encrypted", "datasets.owner_assigned", "datasets.retention_set", "datasets.lawful_basis_set"):
        outcome = evaluate(key)
        assert outcome.status == "no_data", key
        assert outcome.summary.startswith("No dataset")


def test_encryption_passes_when_every_dataset_with_personal_data_is_encrypted(evaluate, dpo, steward):
    complete(dpo, steward, "Shop customers")
    # Without data categories a dataset holds no personal data: its missing encryption does not count.
    complete(dpo, steward, "Weather readings", data_categories=[], encryption_at_rest="")

    outcome = evaluate("datasets.personal_data_encrypted")

    assert outcome.status == "pass"
    assert outcome.summary == "0 of 1 dataset with personal data are not encrypted at rest."
    assert outcome.failing == []


def test_encryption_fails_listing_each_unencrypted_dataset_with_a_link(evaluate, dpo, steward):
    complete(dpo, steward, "Shop customers")
    clinic = complete(dpo, steward, "Clinic visits", data_categories=["health"], encryption_at_rest="")
    routes = complete(dpo, steward, "Delivery routes", data_categories=["location"], encryption_at_rest="")

    outcome = evaluate("datasets.personal_data_encrypted")

    assert outcome.status == "fail"
    assert outcome.summary == "2 of 3 datasets with personal data are not encrypted at rest."
    assert labels(outcome) == ["Clinic visits", "Delivery routes"]
    assert urls(outcome) == [reverse("datasets:detail", args=[clinic.slug]), reverse("datasets:detail", args=[routes.slug])]
    assert outcome.failing_total == 2


def test_owner_retention_and_lawful_basis_pass_on_complete_datasets(evaluate, dpo, steward):
    complete(dpo, steward, "Shop customers")
    complete(dpo, steward, "Clinic visits")

    for key, summary in [
        ("datasets.owner_assigned", "0 of 2 datasets are without an owner."),
        ("datasets.retention_set", "0 of 2 datasets are without a retention period."),
        ("datasets.lawful_basis_set", "0 of 2 datasets are without a lawful basis."),
    ]:
        outcome = evaluate(key)
        assert (outcome.status, outcome.summary) == ("pass", summary)


def test_owner_retention_and_lawful_basis_each_fail_on_the_dataset_lacking_it(evaluate, dpo, steward):
    complete(dpo, steward, "Shop customers")
    complete(dpo, steward, "Orphaned export", owner=None)
    complete(dpo, steward, "Kept forever", retention_days=None)
    # Archived datasets still hold their data: they count too.
    baseless = complete(dpo, steward, "No basis", lawful_bases=[])
    baseless.status = "archived"
    baseless.save(update_fields=["status"])

    owner = evaluate("datasets.owner_assigned")
    retention = evaluate("datasets.retention_set")
    basis = evaluate("datasets.lawful_basis_set")

    assert (owner.status, owner.summary, labels(owner)) == ("fail", "1 of 4 datasets is without an owner.", ["Orphaned export"])
    assert (retention.status, retention.summary, labels(retention)) == (
        "fail",
        "1 of 4 datasets is without a retention period.",
        ["Kept forever"],
    )
    assert (basis.status, basis.summary, labels(basis)) == ("fail", "1 of 4 datasets is without a lawful basis.", ["No basis"])
    assert urls(basis) == [reverse("datasets:detail", args=[baseless.slug])]


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ML_ENGINEER, username="engineer")


def dp_run(model, version, epsilon):
    """Record a DP-SGD run as registration would have (straight to the table: the service refuses overruns)."""
    run = TrainingRun.objects.create(
        model=model, started_at=timezone.now() - timedelta(days=1), privacy_technique=PrivacyTechnique.DP_SGD, epsilon=epsilon
    )
    run.dataset_versions.set([version])
    return run


@pytest.fixture
def budgeted(dpo, steward, engineer):
    dataset = complete(dpo, steward, "Clinic visits", privacy_budget_epsilon=4.0)
    version = create_version(actor=dpo, dataset=dataset, label="v1")
    model = create_model(actor=engineer, name="Triage")
    return dataset, version, model


def test_dp_budget_without_budgets_has_no_data(evaluate, dpo, steward):
    complete(dpo, steward, "Shop customers")

    outcome = evaluate("datasets.dp_budget_within")

    assert (outcome.status, outcome.summary) == ("no_data", "No dataset has a privacy budget (ε) set.")


def test_dp_budget_passes_while_spending_stays_within_it(evaluate, budgeted):
    dataset, version, model = budgeted
    dp_run(model, version, 1.5)
    dp_run(model, version, 2.5)

    outcome = evaluate("datasets.dp_budget_within")

    assert (outcome.status, outcome.summary) == ("pass", "0 of 1 dataset with a privacy budget have spent more ε than allowed.")


def test_dp_budget_fails_on_a_dataset_spent_past_its_budget(evaluate, budgeted):
    dataset, version, model = budgeted
    dp_run(model, version, 3.0)
    dp_run(model, version, 2.0)

    outcome = evaluate("datasets.dp_budget_within")

    assert outcome.status == "fail"
    assert outcome.summary == "1 of 1 dataset with a privacy budget has spent more ε than allowed."
    assert labels(outcome) == ["Clinic visits (ε 5 spent of 4)"]
    assert urls(outcome) == [reverse("datasets:detail", args=[dataset.slug])]


def test_dp_budget_counts_an_overrun_the_dpo_allowed_as_within(evaluate, budgeted, dpo):
    dataset, version, model = budgeted
    dp_run(model, version, 3.0)
    run = dp_run(model, version, 2.0)
    PrivacyBudgetOverride.objects.create(
        dataset=dataset, model=model, epsilon_over=1.5, reason="Retraining after erasure", created_by=dpo, run=run, used_at=timezone.now()
    )

    outcome = evaluate("datasets.dp_budget_within")

    assert outcome.status == "pass"
    assert outcome.summary == (
        "0 of 1 dataset with a privacy budget have spent more ε than allowed (1 past its budget under a DPO override)."
    )
