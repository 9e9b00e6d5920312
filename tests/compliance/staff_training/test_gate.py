"""The training gate: warn shows a banner, block refuses personal-data pages (audited), for each role."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training.gate import gate_state, is_protected
from compliance.staff_training.models import Assignment
from compliance.staff_training import services
from tests.compliance.staff_training import builders
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db
GATED = [Role.DPO, Role.DATA_STEWARD, Role.ML_ENGINEER]
NOT_GATED = [Role.EMPLOYEE, Role.AUDITOR, Role.COMPLIANCE_MANAGER]
BANNER = "Your training is overdue."


def overdue_user(make_user, role):
    """A user of ``role`` on the roster, overdue on Data protection basics."""
    builders.course("dp-basics", title="Data protection basics")
    user = make_user(role)
    employee = builders.employee(user=user)
    services.sync_assignments(now=timezone.now())
    Assignment.objects.filter(employee=employee).update(due_at=timezone.now() - timedelta(days=3), status="overdue")
    return user


@pytest.mark.parametrize("role", GATED)
def test_warn_shows_the_banner_naming_the_course_and_due_date(make_user, settings, role):
    settings.TRAINING_GATE = "warn"
    user = overdue_user(make_user, role)
    due = timezone.localtime(timezone.now() - timedelta(days=3))

    response = verified_client(user).get(reverse("accounts:security"))

    assert response.status_code == 200
    content = response.content.decode()
    assert BANNER in content
    assert f"Data protection basics — was due {due.day} {due:%B %Y}" in content


@pytest.mark.parametrize("role", NOT_GATED)
def test_roles_that_do_not_handle_personal_data_see_no_banner(make_user, settings, role):
    settings.TRAINING_GATE = "warn"
    user = overdue_user(make_user, role)

    response = verified_client(user).get(reverse("accounts:security"))

    assert response.status_code == 200
    assert BANNER not in response.content.decode()


@pytest.mark.parametrize("role", GATED)
def test_no_banner_when_training_is_current(make_user, settings, role):
    builders.course("dp-basics")
    user = make_user(role)
    builders.employee(user=user)
    services.sync_assignments(now=timezone.now())

    response = verified_client(user).get(reverse("accounts:security"))

    assert BANNER not in response.content.decode()


def test_warn_never_refuses_a_personal_data_page(make_user, settings):
    settings.TRAINING_GATE = "warn"
    user = overdue_user(make_user, Role.DPO)

    response = verified_client(user).get(reverse("consent:subject_search"))

    assert response.status_code == 200
    assert BANNER in response.content.decode()
    assert not AuditEvent.objects.filter(action="training.gate_refused").exists()


@pytest.mark.parametrize("url", [reverse("consent:subject_search"), reverse("erasure:request_list"), reverse("erasure:access_list")])
def test_block_refuses_the_dpo_personal_data_pages_naming_the_course_and_audits_it(make_user, settings, url):
    settings.TRAINING_GATE = "block"
    user = overdue_user(make_user, Role.DPO)

    response = verified_client(user).get(url)

    assert response.status_code == 403
    content = response.content.decode()
    assert "Complete your training to open this page" in content
    assert "Data protection basics" in content
    assert "Take the course in the learning system" in content
    event = AuditEvent.objects.get(action="training.gate_refused")
    assert event.actor_id == str(user.pk)
    assert event.data["path"] == url
    assert event.data["overdue"][0]["requirement"] == "dp-basics"


@pytest.mark.parametrize("role", [Role.DATA_STEWARD, Role.ML_ENGINEER])
def test_block_refuses_stewards_and_engineers_too(make_user, settings, role):
    settings.TRAINING_GATE = "block"
    user = overdue_user(make_user, role)

    response = verified_client(user).get(reverse("consent:subject_search"))

    assert response.status_code == 403
    assert "Complete your training to open this page" in response.content.decode()
    assert AuditEvent.objects.filter(action="training.gate_refused").count() == 1


@pytest.mark.parametrize("role", NOT_GATED)
def test_block_never_refuses_employees_auditors_or_compliance_managers(make_user, settings, role):
    settings.TRAINING_GATE = "block"
    user = overdue_user(make_user, role)

    response = verified_client(user).get(reverse("consent:subject_search"))

    # Readers of subjects get the page; an employee is refused by the page's own permission, not the gate.
    assert response.status_code == (403 if role == Role.EMPLOYEE else 200)
    assert "Complete your training to open this page" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="training.gate_refused").exists()


@pytest.mark.parametrize("role", [*GATED, *NOT_GATED])
def test_block_never_gates_the_training_pages_or_sign_out(make_user, settings, role):
    settings.TRAINING_GATE = "block"
    user = overdue_user(make_user, role)
    client = verified_client(user)

    assert client.get(reverse("staff_training:my_training")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert not AuditEvent.objects.filter(action="training.gate_refused").exists()


def test_block_leaves_other_pages_open_with_the_banner(make_user, settings):
    settings.TRAINING_GATE = "block"
    user = overdue_user(make_user, Role.DPO)

    response = verified_client(user).get(reverse("accounts:security"))

    assert response.status_code == 200
    assert "Until you complete it, pages with personal data are closed to you." in response.content.decode()


def test_a_current_dpo_is_not_blocked(make_user, settings):
    settings.TRAINING_GATE = "block"
    user = make_user(Role.DPO)
    builders.employee(user=user)

    assert verified_client(user).get(reverse("consent:subject_search")).status_code == 200


@pytest.mark.parametrize(
    ("name", "protected"),
    [
        ("consent:subject_search", True),
        ("consent:subject_reveal", True),
        ("erasure:request_detail", True),
        ("erasure:access_download", True),
        ("reports:export", True),
        ("reports:export_list", False),
        ("consent:purpose_list", False),
        ("staff_training:my_training", False),
        ("accounts:login", False),
        ("accounts:mfa_verify", False),
        ("accounts:logout", False),
        ("home", False),
    ],
)
def test_protected_views_are_matched_by_name_or_namespace(name, protected):
    assert is_protected(name) is protected


def test_the_gate_costs_one_query_once_the_permissions_are_loaded(make_user, django_assert_num_queries):
    overdue_user(make_user, Role.DPO)
    from compliance.accounts.models import User

    user = User.objects.get(groups__name=Role.DPO)
    user.has_perm("staff_training.gated_by_training")  # the navigation loads the permission cache on every page
    with django_assert_num_queries(1):
        state = gate_state(user=user)
        assert [item.code for item in state.overdue] == ["dp-basics"]


@pytest.mark.parametrize("role", [*NOT_GATED, None])
def test_the_gate_makes_no_query_for_roles_it_does_not_concern(make_user, django_assert_num_queries, role):
    user = make_user(role, is_superuser=role is None)
    user.has_perm("staff_training.gated_by_training")

    with django_assert_num_queries(0):
        assert not gate_state(user=user)


def test_the_gated_roles_are_the_dpo_steward_and_ml_engineer(make_user):
    from tests.permission_matrix import ALL_ROLES  # noqa: F401

    gated = {role for role in Role if make_user(role).has_perm("staff_training.gated_by_training")}

    assert gated == set(GATED)


def test_the_navigation_and_the_gate_share_one_query(make_user, django_assert_num_queries):
    from compliance.navigation import on_training_roster

    user = overdue_user(make_user, Role.ML_ENGINEER)
    user.has_perm("staff_training.gated_by_training")

    with django_assert_num_queries(1):
        assert on_training_roster(user)
        assert gate_state(user=user).overdue[0].title == "Data protection basics"


def test_an_inactive_employee_is_not_gated(make_user):
    user = overdue_user(make_user, Role.DPO)
    from compliance.staff_training.models import Employee

    Employee.objects.filter(user=user).update(active=False)

    assert not gate_state(user=user)
