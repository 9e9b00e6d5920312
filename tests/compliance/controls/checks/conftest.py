"""Fixtures for the automated checks: people, and a helper that evaluates one check as of now."""

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.controls.checks.registry import CheckOutcome, get_check


@pytest.fixture
def dpo(make_user):
    return make_user(Role.DPO, username="dpo")


@pytest.fixture
def evaluate(db):
    """``evaluate("datasets.owner_assigned")`` runs that check as of now and returns its outcome."""

    def run(key: str, now=None) -> CheckOutcome:
        return get_check(key).evaluate(now=now or timezone.now())

    return run


def labels(outcome: CheckOutcome) -> list[str]:
    return [item.label for item in outcome.failing]


def urls(outcome: CheckOutcome) -> list[str]:
    return [item.url for item in outcome.failing]
