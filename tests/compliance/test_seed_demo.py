"""``manage.py seed_demo``: one demo user per role and an administrator, idempotently."""

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from compliance.accounts.models import User
from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD

pytestmark = pytest.mark.django_db

EXPECTED_ROLES = {
    "dpo": [Role.DPO],
    "manager": [Role.COMPLIANCE_MANAGER],
    "auditor": [Role.AUDITOR],
    "steward": [Role.DATA_STEWARD],
    "engineer": [Role.ML_ENGINEER],
    "employee": [Role.EMPLOYEE],
    "admin": [],
}


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    users = list(User.objects.order_by("username").values())
    memberships = list(User.groups.through.objects.order_by("pk").values_list("user_id", "group_id"))
    return users, memberships


@time_machine.travel(date(2026, 3, 10), tick=False)
def test_it_creates_one_user_per_role_and_an_administrator(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)

    output = seed()

    users = {user.username: user for user in User.objects.prefetch_related("groups")}
    assert set(users) == set(EXPECTED_ROLES)
    for username, roles in EXPECTED_ROLES.items():
        assert sorted(group.name for group in users[username].groups.all()) == roles
        assert users[username].check_password(DEFAULT_DEMO_PASSWORD)
    assert users["auditor"].access_expires_on == date(2027, 3, 10)
    assert all(user.access_expires_on is None for name, user in users.items() if name != "auditor")
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert not any(user.is_superuser or user.is_staff for name, user in users.items() if name != "admin")
    assert "users: created 7, kept 0." in output
    assert f"Demo logins (password for all: {DEFAULT_DEMO_PASSWORD}):" in output
    assert "  auditor   Auditor" in output


def test_it_records_an_audit_event_per_user_and_for_the_superuser_grant():
    seed()

    events = list(AuditEvent.objects.order_by("sequence").values_list("action", "actor_label", "target_id"))
    created = [event for event in events if event[0] == "user.created"]
    assert len(created) == 7
    # The demo assessment and its evidence are the demo compliance manager's work (their rows name a user).
    # The first run of the checks records, as "checks", when it first saw the active encryption key.
    # The demo training history: the manager's LMS import and waiver, the rules' run as "training-sync".
    assert {event[1] for event in events} == {"seed_demo", "manager", "checks", "training-sync"}
    assert {event[0].split(".")[0] for event in events if event[1] == "manager"} == {"controls", "training"}
    assert {event[0] for event in events if event[1] == "training-sync"} == {"training.assignments_synced"}
    assert {event[0] for event in events if event[1] == "checks"} == {"controls.encryption_key_recorded"}
    admin = User.objects.get(username="admin")
    assert ("user.superuser_granted", "seed_demo", str(admin.pk)) in events


def test_a_second_run_changes_nothing_and_records_no_event():
    seed()
    before = _snapshot()
    events_before = AuditEvent.objects.count()

    output = seed()

    assert _snapshot() == before
    assert AuditEvent.objects.count() == events_before
    assert "users: nothing to do (7 already there)." in output


def test_the_password_comes_from_the_environment_without_the_option(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-environment-42")

    output = seed()

    assert User.objects.get(username="dpo").check_password("from-the-environment-42")
    assert "Demo logins (password for all: from-the-environment-42):" in output


def test_the_option_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-environment-42")

    seed("--password", "from-the-option-4242")

    assert User.objects.get(username="dpo").check_password("from-the-option-4242")


def test_existing_users_keep_their_password_and_are_named(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    seed("--password", "first-demo-password-1")

    output = seed()

    assert User.objects.get(username="manager").check_password("first-demo-password-1")
    assert (
        "dpo, manager, auditor, steward, engineer, employee, admin already existed with another password"
        " and were left unchanged: they keep the password they were first seeded with."
    ) in output


def test_a_weak_password_is_refused_before_anything_is_written():
    with pytest.raises(CommandError) as refused:
        seed("--password", "short")

    assert str(refused.value) == (
        "The demo password is too weak: This password is too short. It must contain at least 12 characters."
    )
    assert not User.objects.exists()


def test_production_needs_an_explicit_password(settings, monkeypatch):
    settings.PRODUCTION = True
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-environment-42")

    with pytest.raises(CommandError) as refused:
        seed()

    assert str(refused.value) == "In production seed_demo needs --password: the default demo password is public."
    assert not User.objects.exists()


@time_machine.travel(date(2028, 2, 29), tick=False)
def test_an_auditor_seeded_on_29_february_keeps_access_until_28_february():
    seed()

    assert User.objects.get(username="auditor").access_expires_on == date(2029, 2, 28)
