"""Selectors: who sees what (own, team, readers), the figures, and constant query counts at 10 and 1,000 employees."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.staff_training import selectors, services
from compliance.staff_training.models import Assignment, Employee
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db


def add_employees(count: int, *, manager: Employee | None = None, start: int = 0) -> None:
    """Add ``count`` employees in two departments; every third overdue on every course, every third completed."""
    people = [
        Employee(
            employee_number=f"B-{start + index:05d}",
            name=f"Bulk {index}",
            email=f"bulk{start + index}@example.org",
            department="Clinical" if index % 2 else "Engineering",
            job_role="Nurse" if index % 2 else "ML engineer",
            start_date=date(2020, 1, 1),
            manager=manager,
        )
        for index in range(count)
    ]
    Employee.objects.bulk_create(people)
    services.sync_assignments(now=timezone.now())
    numbers = [person.employee_number for person in people]
    Assignment.objects.filter(employee__employee_number__in=numbers[0::3]).update(
        status="overdue", due_at=timezone.now() - timedelta(days=5)
    )
    Assignment.objects.filter(employee__employee_number__in=numbers[1::3]).update(
        status="completed", completed_at=timezone.now() - timedelta(days=20)
    )


def queries(function) -> int:
    with CaptureQueriesContext(connection) as context:
        function()
    return len(context.captured_queries)


def test_every_list_and_figure_runs_in_a_constant_number_of_queries(make_user):
    reader = make_user(Role.COMPLIANCE_MANAGER)
    boss_user = make_user(Role.EMPLOYEE)
    boss = builders.employee(user=boss_user, department="Executive")
    builders.course("dp-basics")
    builders.course("hipaa", audience_departments=["Clinical"])
    policy = builders.policy()
    builders.version(policy, "1.0", date(2025, 1, 1))
    now = timezone.now()
    reader.has_perm("staff_training.view_assignment")  # the permission cache, as a request warms it
    reads = {
        "overview": lambda: list(selectors.compliance_overview(user=reader, now=now).overdue),
        "summary": lambda: selectors.training_summary(now=now),
        "overdue_employees": lambda: selectors.overdue_employees(now=now, limit=200),
        "roster": lambda: [(e.open_count, e.overdue_count, e.manager_id and e.manager.employee_number) for e in selectors.employees_for_user(user=reader, now=now)],
        "team": lambda: [[a.requirement_title for a in e.open_assignments] for e in selectors.team_for_manager(user=boss_user, now=now)],
        "courses": lambda: [(c.required, c.completed, c.overdue) for c in selectors.courses_for_user(user=reader, now=now)],
        "overdue_list": lambda: [(a.employee.employee_number, a.requirement_title) for a in selectors.overdue_assignments(user=reader, now=now)],
    }

    add_employees(10, manager=boss)
    small = {name: queries(read) for name, read in reads.items()}
    add_employees(990, manager=boss, start=10)
    large = {name: queries(read) for name, read in reads.items()}

    assert large == small
    assert small == {"overview": 8, "summary": 3, "overdue_employees": 2, "roster": 1, "team": 3, "courses": 1, "overdue_list": 1}
    assert Employee.objects.count() == 1001


def test_the_summary_counts_in_scope_current_and_overdue():
    builders.course("dp-basics")
    add_employees(9)
    builders.employee(active=False)

    summary = selectors.training_summary(now=timezone.now())

    assert (summary.in_scope_employees, summary.current_employees, summary.overdue_assignments) == (9, 6, 3)
    assert summary.current_share == pytest.approx(6 / 9)
    assert [(figure.course.code, figure.required, figure.completed, figure.overdue) for figure in summary.by_course] == [
        ("dp-basics", 9, 3, 3)
    ]


def test_the_overview_gives_departments_policies_and_twelve_months(make_user):
    builders.course("dp-basics")
    policy = builders.policy()
    builders.version(policy, "1.0", date(2025, 1, 1))
    add_employees(6)

    overview = selectors.compliance_overview(user=make_user(Role.AUDITOR), now=timezone.now())

    assert [(d.department, d.employees, d.current) for d in overview.by_department] == [("Clinical", 3, 2), ("Engineering", 3, 2)]
    assert [(p.policy.code, p.version.version, p.required) for p in overview.by_policy] == [("acceptable-use", "1.0", 6)]
    assert len(overview.trend) == 12
    assert overview.trend[-1].month == timezone.localdate().replace(day=1)
    assert overview.trend[-1].completed == 0 or overview.trend[-2].completed >= 0
    assert overview.overdue.count() == 4


def test_the_overview_is_for_training_readers_only(make_user):
    for role in (Role.EMPLOYEE, Role.DPO, Role.DATA_STEWARD, Role.ML_ENGINEER):
        with pytest.raises(Http404):
            selectors.compliance_overview(user=make_user(role), now=timezone.now())


def test_own_team_and_reader_visibility_of_employees_and_assignments(make_user):
    builders.course("dp-basics")
    boss_user, worker_user, other_user = make_user(Role.EMPLOYEE), make_user(Role.EMPLOYEE), make_user(Role.EMPLOYEE)
    boss = builders.employee(user=boss_user)
    worker = builders.employee(user=worker_user, manager=boss)
    other = builders.employee(user=other_user)
    services.sync_assignments(now=timezone.now())
    worker_assignment = Assignment.objects.get(employee=worker)

    assert selectors.employee_for_user(user=worker_user) == worker
    assert list(selectors.assignments_for_employee(user=worker_user, employee=worker)) == [worker_assignment]
    assert list(selectors.assignments_for_employee(user=boss_user, employee=worker)) == [worker_assignment]
    assert selectors.assignment_for_user(user=boss_user, pk=worker_assignment.pk) == worker_assignment
    assert [e.pk for e in selectors.team_for_manager(user=boss_user)] == [worker.pk]
    assert list(selectors.employees_for_user(user=boss_user)) == [worker]
    with pytest.raises(Http404):
        selectors.assignments_for_employee(user=other_user, employee=worker)
    with pytest.raises(Http404):
        selectors.assignment_for_user(user=other_user, pk=worker_assignment.pk)
    with pytest.raises(Http404):
        selectors.assignment_for_user(user=other_user, pk=999_999)
    with pytest.raises(Http404):
        selectors.employee_for_user_by_pk(user=worker_user, pk=other.pk)
    assert list(selectors.team_for_manager(user=other_user)) == []
    auditor = make_user(Role.AUDITOR)
    assert selectors.employees_for_user(user=auditor).count() == 3
    assert selectors.employee_for_user_by_pk(user=auditor, pk=other.pk) == other


def test_the_roster_filters_by_status_department_and_search(make_user):
    builders.course("dp-basics")
    add_employees(6)
    reader = make_user(Role.COMPLIANCE_MANAGER)

    assert selectors.employees_for_user(user=reader, status="overdue").count() == 2
    assert selectors.employees_for_user(user=reader, status="current").count() == 4
    assert selectors.employees_for_user(user=reader, department="Clinical").count() == 3
    assert [e.employee_number for e in selectors.employees_for_user(user=reader, q="BULK3@example.org")] == ["B-00003"]
    assert [e.employee_number for e in selectors.employees_for_user(user=reader, q="B-0000")] == [f"B-0000{i}" for i in range(6)]
    assert list(selectors.employees_for_user(user=reader, q="@@")) == []
