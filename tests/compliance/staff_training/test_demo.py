"""The demo training data: 50 employees, a realistic mix, the demo users on the roster; idempotent."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from compliance.staff_training import selectors
from compliance.staff_training.demo import seed_training
from compliance.staff_training.models import Assignment, Course, Employee, PolicyVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def test_the_demo_has_fifty_employees_three_courses_and_a_policy_in_two_versions(seeded):
    assert Employee.objects.count() == 50
    assert sorted(Course.objects.values_list("code", flat=True)) == ["dp-basics", "hipaa", "secure-ml"]
    assert list(PolicyVersion.objects.order_by("effective_date").values_list("version", flat=True)) == ["1.0", "2.0"]
    assert set(Employee.objects.values_list("department", flat=True)) >= {"Engineering", "Clinical", "Privacy & Compliance"}


def test_the_mix_has_current_due_soon_overdue_a_new_starter_and_one_waiver(seeded):
    statuses = Counter(Assignment.objects.filter(course__isnull=False).values_list("status", flat=True))

    assert statuses["completed"] > 40
    assert statuses["overdue"] >= 5
    assert statuses["due_soon"] >= 2
    assert statuses["waived"] == 1
    assert Assignment.objects.get(status="waived").waiver_reason.startswith("Took the equivalent course")
    summary = selectors.training_summary(now=timezone.now())
    assert summary.in_scope_employees == 50
    assert 0.7 < summary.current_share < 0.95


def test_the_demo_employee_is_a_new_starter_within_grace_managed_by_the_demo_manager(seeded):
    employee = Employee.objects.get(user__username="employee")

    assert employee.manager.user.username == "manager"
    open_items = Assignment.objects.filter(employee=employee, status__in=Assignment.OPEN_STATUSES)
    assert sorted((a.course.code if a.course_id else a.policy_version.version, a.reason) for a in open_items) == [
        ("2.0", "policy_version"),
        ("dp-basics", "hire"),
    ]
    assert all(item.due_at > timezone.now() for item in open_items)
    for username in ("dpo", "engineer", "steward"):
        linked = Employee.objects.get(user__username=username)
        assert not Assignment.objects.filter(employee=linked, status="overdue").exists(), username


def test_seeding_again_creates_nothing(seeded):
    before = Assignment.objects.count()

    assert seed_training() == (0, 50)
    assert Assignment.objects.count() == before
