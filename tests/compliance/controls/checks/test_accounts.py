"""Check of accounts: every user of a role that must pass MFA has a confirmed authenticator."""

import pytest
from django.urls import reverse

from compliance.accounts.models import TOTPDevice
from compliance.accounts.roles import Role
from tests.compliance.controls.checks.conftest import labels, urls
from tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db


def test_no_privileged_user_means_no_data(evaluate, make_user):
    make_user(Role.EMPLOYEE, username="employee")

    outcome = evaluate("accounts.privileged_mfa")

    assert outcome.status == "no_data"


def test_passes_when_every_privileged_user_has_a_confirmed_device(evaluate, make_user):
    for role in (Role.DPO, Role.COMPLIANCE_MANAGER, Role.AUDITOR):
        enrol_totp(make_user(role))
    make_user(Role.EMPLOYEE, username="employee")  # employees need no MFA
    make_user(Role.DATA_STEWARD, username="gone", is_active=False)  # deactivated accounts cannot sign in

    outcome = evaluate("accounts.privileged_mfa")

    assert (outcome.status, outcome.summary) == ("pass", "0 of 3 privileged users have no confirmed authenticator.")


def test_fails_on_a_privileged_user_without_or_with_an_unconfirmed_device(evaluate, make_user):
    enrol_totp(make_user(Role.DPO, username="dpo"))
    engineer = make_user(Role.ML_ENGINEER, username="engineer")
    steward = make_user(Role.DATA_STEWARD, username="steward")
    pending = TOTPDevice(user=steward, name="Half enrolled", confirmed=False)
    pending.encrypted_key = "00" * 20
    pending.save()
    admin = make_user(None, username="admin", is_staff=True, is_superuser=True)

    outcome = evaluate("accounts.privileged_mfa")

    assert outcome.status == "fail"
    assert outcome.summary == "3 of 4 privileged users have no confirmed authenticator."
    assert labels(outcome) == ["admin", "engineer", "steward"]
    assert urls(outcome) == [reverse("accounts:user_detail", args=[user.pk]) for user in (admin, engineer, steward)]
