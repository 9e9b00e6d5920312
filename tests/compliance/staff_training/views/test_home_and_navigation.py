"""The training entries of the navigation and the home page (compliance/navigation.py, compliance/home.py)."""

import pytest
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.home import cards_for
from compliance.navigation import items_for
from compliance.staff_training.models import Assignment
from tests.compliance.staff_training import builders
from tests.compliance.staff_training.views.conftest import assignment, employee_of

pytestmark = pytest.mark.django_db


def _labels(user) -> list[str]:
    return [item.label for item in items_for(user)]


def test_an_employee_on_the_roster_sees_my_training_in_the_navigation_and_on_the_home_page(client_for):
    client, user = client_for(Role.EMPLOYEE)
    me = employee_of(user)
    assignment(me, course=builders.course(title="Data protection basics"), status=Assignment.Status.OVERDUE, due_in_days=-2)
    assignment(me, course=builders.course("hipaa", title="HIPAA basics"), due_in_days=10)

    html = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("staff_training:my_training")}"' in html
    assert "2 to do, 1 overdue. Next: Data protection basics, due" in html
    assert _labels(user) == ["Home", "My training"]


def test_an_employee_with_nothing_open_is_told_it_is_current(make_user):
    user = make_user(Role.EMPLOYEE)
    employee_of(user)

    card = cards_for(user)[0]

    assert card.title == "My training"
    assert card.text == "All your training is current. Download your certificates of completion."


def test_a_user_off_the_roster_gets_no_my_training_entry(make_user):
    user = make_user(Role.EMPLOYEE)

    assert "My training" not in _labels(user)
    assert [card.title for card in cards_for(user)] == ["Your account"]


def test_training_readers_get_the_compliance_view_in_the_navigation_and_a_card(make_user):
    auditor = make_user(Role.AUDITOR)
    late = builders.employee()
    assignment(late, course=builders.course(), status=Assignment.Status.OVERDUE, due_in_days=-2)
    assignment(builders.employee(), course=builders.course("hipaa"), due_in_days=10)

    assert "Training" in _labels(auditor)
    card = next(card for card in cards_for(auditor) if card.title == "Staff training")
    assert card.text.startswith("1 of 2 employees current, 1 overdue assignments.")
    assert card.url == reverse("staff_training:compliance")


@pytest.mark.parametrize("role", [Role.DPO, Role.DATA_STEWARD, Role.ML_ENGINEER, Role.EMPLOYEE])
def test_other_roles_get_no_compliance_entry(role, make_user):
    assert "Training" not in _labels(make_user(role))
