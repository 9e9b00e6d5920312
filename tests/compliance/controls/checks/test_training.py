"""Check of staff training: the share of in-scope employees current, against TRAINING_CURRENT_THRESHOLD."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from compliance.staff_training import services
from compliance.staff_training.models import Assignment
from tests.compliance.controls.checks.conftest import labels
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db


def roster(count: int, overdue: int):
    """``count`` employees assigned one course, ``overdue`` of them past its due date, the rest completed."""
    course = builders.course("dp-basics", title="Data protection basics")
    services.sync_assignments(now=timezone.now())
    people = [builders.employee(department="Engineering") for _ in range(count)]
    services.sync_assignments(now=timezone.now())
    for index, person in enumerate(people):
        assignment = Assignment.objects.get(employee=person, course=course)
        if index < overdue:
            Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(days=3), status="overdue")
        else:
            Assignment.objects.filter(pk=assignment.pk).update(status="completed", completed_at=timezone.now())
    return people


def test_no_data_when_no_employee_has_training(evaluate):
    builders.employee()

    outcome = evaluate("training.staff_current")

    assert (outcome.status, outcome.summary) == (
        "no_data",
        "No employee has required training assigned, so whether staff are current cannot be measured.",
    )


def test_passes_at_or_above_the_threshold(evaluate):
    roster(20, overdue=1)

    outcome = evaluate("training.staff_current")

    assert (outcome.status, outcome.summary) == (
        "pass",
        "19 of 20 employees with required training are current (95.0%; the target is 95%); 1 employee overdue.",
    )


def test_fails_below_the_threshold_listing_who_is_overdue(evaluate):
    people = roster(10, overdue=2)

    outcome = evaluate("training.staff_current")

    assert outcome.status == "fail"
    assert outcome.summary == "8 of 10 employees with required training are current (80.0%; the target is 95%); 2 employees overdue."
    due = f"{timezone.localtime(timezone.now() - timedelta(days=3)):%Y-%m-%d}"
    assert labels(outcome) == [
        f"Employee {people[0].employee_number} (Engineering): Data protection basics — overdue since {due}",
        f"Employee {people[1].employee_number} (Engineering): Data protection basics — overdue since {due}",
    ]
    assert outcome.failing_total == 2


def test_the_threshold_is_a_setting(evaluate, settings):
    settings.TRAINING_CURRENT_THRESHOLD = 0.8
    roster(10, overdue=2)

    assert evaluate("training.staff_current").status == "pass"


def test_a_new_starter_within_grace_counts_as_current(evaluate):
    builders.course("dp-basics", grace_days=30)
    builders.employee(start_date=date.today() - timedelta(days=3))
    services.sync_assignments(now=timezone.now())

    outcome = evaluate("training.staff_current")

    assert outcome.status == "pass"
    assert outcome.summary.startswith("1 of 1 employee with required training is current (100.0%")
