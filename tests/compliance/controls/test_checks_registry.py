"""The registry of automated checks: keys are a contract, registered once, each with a title and a description."""

import pytest
from django.conf import settings

from compliance.controls.checks import registry
from compliance.controls.tasks import run_checks_task

CONTRACT_KEYS = [
    "accounts.privileged_mfa",
    "audit.chain_verifies",
    "consent.notices_current",
    "crypto.key_age",
    "datasets.dp_budget_within",
    "datasets.lawful_basis_set",
    "datasets.owner_assigned",
    "datasets.personal_data_encrypted",
    "datasets.retention_set",
    "erasure.none_overdue",
    "erasure.on_time_rate",
    "models.flagged_runs_resolved",
    "sharing.links_expire",
    "sharing.no_active_expired",
    "training.staff_current",
]


def test_the_first_set_of_checks_is_registered_under_the_contracted_keys():
    assert registry.check_keys() == CONTRACT_KEYS
    assert all(check.title and check.description for check in registry.registered_checks())


def test_a_key_registered_twice_is_refused(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    with pytest.raises(ValueError, match="The automated check 'crypto.key_age' is registered twice."):

        @registry.check(key="crypto.key_age", title="Again", description="")
        def again(*, now):
            raise AssertionError("never run")


def test_a_long_failing_list_is_cut_but_counted():
    outcome = registry.failed("many", [registry.FailingObject(label=str(number)) for number in range(250)], total=1234)

    assert len(outcome.failing) == registry.MAX_FAILING_LISTED == 200
    assert outcome.failing_total == 1234


def test_the_run_may_outlast_the_default_task_limit_but_not_the_broker_visibility_timeout():
    assert run_checks_task.time_limit < settings.BROKER_VISIBILITY_TIMEOUT_SECONDS
    assert run_checks_task.soft_time_limit < run_checks_task.time_limit
