"""Reads about accounts for the automated checks: who must pass MFA, each counted once."""

import pytest
from django.contrib.auth.models import Group

from compliance.accounts.roles import Role
from compliance.accounts.selectors import privileged_users, privileged_users_without_mfa
from tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db


def test_a_user_privileged_several_ways_is_one_privileged_user(make_user):
    # The grounds are OR-ed across a join on groups: without DISTINCT this user would be a row per group.
    both = make_user(Role.DPO, username="both", is_staff=True)
    both.groups.add(Group.objects.get(name=Role.AUDITOR))
    enrol_totp(make_user(Role.DATA_STEWARD, username="steward"))
    make_user(Role.EMPLOYEE, username="employee")

    assert privileged_users().count() == 2
    assert list(privileged_users_without_mfa()) == [both]
