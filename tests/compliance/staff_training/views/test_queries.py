"""Every list page of training and the compliance view make the same number of queries for 10 and 1,000 employees."""

from datetime import date, timedelta
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.staff_training.models import Assignment, Completion, Employee, XapiStatement
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db
Status = Assignment.Status
_serial = count(1)


def _get(client, url):
    response = client.get(url)
    if response.streaming:
        # A streamed body runs its queries while it is read.
        response.body = b"".join(response.streaming_content)
    return response


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = _get(client, url)
    assert response.status_code == 200
    return len(captured)


def assert_constant_queries(client, url, grow, django_assert_max_num_queries):
    """Grow to 10 rows and count the page's queries, grow to 1,000 and assert no more are made."""
    grow(10)
    with_ten = _queries(client, url)
    grow(990)
    with django_assert_max_num_queries(with_ten):
        response = _get(client, url)
    assert response.status_code == 200
    return response


def grow_employees(*, manager: Employee | None = None, departments=("Engineering", "Clinical", "Sales")):
    """Return ``grow(n)``: bulk-create ``n`` employees, each with an overdue, a completed and an open assignment."""
    course_overdue = builders.course(f"late-{next(_serial)}", title="Data protection basics")
    course_done = builders.course(f"done-{next(_serial)}", title="Secure ML engineering")
    policy = builders.policy(f"aup-{next(_serial)}")
    version = builders.version(policy, "1.0", date(2026, 1, 1))

    def grow(n: int) -> None:
        now = timezone.now()
        start = next(_serial) * 10_000
        employees = Employee.objects.bulk_create(
            [
                Employee(
                    employee_number=f"Q-{start + i}",
                    name=f"Person {start + i}",
                    email=f"q{start + i}@staff.example.org",
                    department=departments[i % len(departments)],
                    job_role="Engineer",
                    start_date=date(2020, 1, 6),
                    manager=manager,
                )
                for i in range(n)
            ]
        )
        rows = []
        for employee in employees:
            base = {"employee": employee, "reason": Assignment.Reason.HIRE, "assigned_at": now - timedelta(days=60)}
            rows.append(Assignment(course=course_overdue, status=Status.OVERDUE, due_at=now - timedelta(days=5), **base))
            rows.append(Assignment(course=course_done, status=Status.COMPLETED, due_at=now - timedelta(days=20), completed_at=now - timedelta(days=25), **base))
            rows.append(Assignment(policy_version=version, status=Status.ASSIGNED, due_at=now + timedelta(days=10), **base))
        Assignment.objects.bulk_create(rows)
        Completion.objects.bulk_create(
            [
                Completion(assignment=row, employee=row.employee, course=row.course, source=Completion.Source.LMS_CSV, completed_at=row.completed_at)
                for row in rows
                if row.status == Status.COMPLETED
            ]
        )

    return grow


def grow_team(manager: Employee):
    return grow_employees(manager=manager)


def grow_statements(n: int) -> None:
    course = builders.course(f"xapi-{next(_serial)}")
    employee = builders.employee()
    XapiStatement.objects.bulk_create(
        [
            XapiStatement(
                statement_id=__import__("uuid").uuid4(),
                status=XapiStatement.Status.REJECTED if i % 2 else XapiStatement.Status.ACCEPTED,
                reason="Score below the passing score." if i % 2 else "",
                verb="http://adlnet.gov/expapi/verbs/completed",
                activity_id="https://lms.example.org/courses/x",
                employee=employee,
                course=course,
                raw={},
            )
            for i in range(n)
        ]
    )


@pytest.mark.parametrize(
    "url_name",
    ["staff_training:employee_list", "staff_training:compliance", "staff_training:compliance_export"],
)
def test_the_list_pages_make_the_same_queries_for_10_and_1000_employees(url_name, client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)

    assert_constant_queries(client, reverse(url_name), grow_employees(), django_assert_max_num_queries)


def test_the_filtered_roster_makes_the_same_queries_for_10_and_1000_employees(client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)
    url = reverse("staff_training:employee_list") + "?department=Clinical&status=overdue"

    response = assert_constant_queries(client, url, grow_employees(), django_assert_max_num_queries)

    assert "333 employees" in response.content.decode()


def test_the_employee_detail_makes_the_same_queries_for_10_and_1000_assignments(client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    person = builders.employee()

    def grow(n):
        now = timezone.now()
        start = next(_serial) * 10_000
        Assignment.objects.bulk_create(
            [
                Assignment(employee=person, course=builders.course(f"c-{start + i}"), reason=Assignment.Reason.HIRE, status=Status.ASSIGNED, due_at=now + timedelta(days=5))
                for i in range(n)
            ]
        )

    assert_constant_queries(client, reverse("staff_training:employee_detail", kwargs={"pk": person.pk}), grow, django_assert_max_num_queries)


def test_my_training_makes_the_same_queries_for_10_and_1000_assignments(client_for, django_assert_max_num_queries):
    client, user = client_for(Role.EMPLOYEE)
    me = builders.employee(user=user)

    def grow(n):
        now = timezone.now()
        start = next(_serial) * 10_000
        rows = Assignment.objects.bulk_create(
            [
                Assignment(employee=me, course=builders.course(f"m-{start + i}"), reason=Assignment.Reason.HIRE, status=Status.COMPLETED if i % 2 else Status.OVERDUE, due_at=now - timedelta(days=1), completed_at=now - timedelta(days=2) if i % 2 else None)
                for i in range(n)
            ]
        )
        Completion.objects.bulk_create(
            [Completion(assignment=row, employee=me, course=row.course, source=Completion.Source.LMS_CSV, completed_at=row.completed_at) for row in rows if row.completed_at]
        )

    assert_constant_queries(client, reverse("staff_training:my_training"), grow, django_assert_max_num_queries)


def test_the_statement_log_makes_the_same_queries_for_10_and_1000_statements(client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)

    assert_constant_queries(client, reverse("staff_training:statement_list"), grow_statements, django_assert_max_num_queries)


def grow_courses(n: int) -> None:
    from compliance.staff_training.models import Course

    start = next(_serial) * 10_000
    Course.objects.bulk_create([Course(code=f"bulk-{start + i}", title=f"Course {start + i}", control_codes=["CTL-TRN-01"]) for i in range(n)])


def grow_policies(n: int) -> None:
    from compliance.staff_training.models import Policy, PolicyVersion

    start = next(_serial) * 10_000
    policies = Policy.objects.bulk_create([Policy(code=f"pol-{start + i}", title=f"Policy {start + i}") for i in range(n)])
    PolicyVersion.objects.bulk_create(
        [PolicyVersion(policy=policy, version=number, effective_date=date(2025 + k, 1, 1), text="Text") for policy in policies for k, number in enumerate(("1.0", "2.0"))]
    )


def grow_imports(n: int) -> None:
    from compliance.staff_training.models import LmsImport, RosterImport

    RosterImport.objects.bulk_create([RosterImport(sha256="0" * 64, filename=f"roster-{i}.csv", created_count=i) for i in range(n)])
    LmsImport.objects.bulk_create([LmsImport(sha256="0" * 64, filename=f"lms-{i}.csv", matched_count=i) for i in range(n)])


@pytest.mark.parametrize(
    ("url_name", "grow"),
    [("staff_training:course_list", grow_courses), ("staff_training:policy_list", grow_policies), ("staff_training:import_list", grow_imports)],
)
def test_the_catalog_and_import_lists_make_the_same_queries_for_10_and_1000_rows(url_name, grow, client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)

    assert_constant_queries(client, reverse(url_name), grow, django_assert_max_num_queries)
