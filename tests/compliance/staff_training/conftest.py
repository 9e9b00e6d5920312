"""Fixtures of the staff-training tests."""

import pytest

from compliance.accounts.roles import Role


@pytest.fixture
def manager_user(make_user):
    """A compliance manager (manages training)."""
    return make_user(Role.COMPLIANCE_MANAGER)
