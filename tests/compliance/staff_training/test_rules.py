"""The assignment rules: hire, change of department or role, audience change, expiry and renewal, new policy versions."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.staff_training import services
from compliance.staff_training.models import Assignment
from compliance.staff_training.services.clock import end_of_day
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db
Status, Reason = Assignment.Status, Assignment.Reason
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_default_timezone())


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def rows(employee):
    return list(Assignment.objects.filter(employee=employee).order_by("id").values_list("course__code", "cycle", "reason", "status"))


def test_a_new_starter_is_assigned_their_courses_due_a_grace_period_after_starting():
    course = builders.course("dp-basics", grace_days=30)
    builders.course("hipaa", audience_departments=["Clinical"])
    starter = builders.employee(start_date=date(2026, 2, 20))

    result = services.sync_assignments(now=NOW)

    assignment = Assignment.objects.get(employee=starter)
    assert (assignment.course, assignment.reason, assignment.status) == (course, Reason.HIRE, Status.ASSIGNED)
    assert assignment.due_at == end_of_day(date(2026, 3, 22))
    assert result.created == 1
    assert AuditEvent.objects.filter(action="training.assignments_synced", data__created=1).count() == 1


def test_a_second_run_changes_nothing():
    builders.course()
    builders.employee()
    services.sync_assignments(now=NOW)
    events = AuditEvent.objects.count()

    result = services.sync_assignments(now=NOW)

    assert not result.changed
    assert Assignment.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_statuses_move_from_assigned_to_due_soon_to_overdue(settings):
    settings.TRAINING_DUE_SOON_DAYS = 14
    builders.course(grace_days=30)
    worker = builders.employee(start_date=date(2026, 3, 1))
    services.sync_assignments(now=NOW)
    due = Assignment.objects.get().due_at
    assert Assignment.objects.get().status == Status.ASSIGNED

    services.sync_assignments(now=due - timedelta(days=13))
    assert Assignment.objects.get().status == Status.DUE_SOON

    services.sync_assignments(now=due + timedelta(seconds=1))
    assert rows(worker) == [("dp-basics", 1, "hire", "overdue")]


def test_an_employee_who_started_long_ago_gets_a_new_course_due_a_grace_period_from_today():
    builders.employee(start_date=date(2019, 5, 1))
    builders.course(grace_days=30)

    services.sync_assignments(now=NOW)

    assignment = Assignment.objects.get()
    assert (assignment.reason, assignment.due_at) == (Reason.SCHEDULED, end_of_day(date(2026, 4, 1)))


def test_a_change_of_department_assigns_the_new_courses_and_cancels_those_no_longer_required(manager_user):
    builders.course("hipaa", audience_departments=["Clinical"])
    builders.course("secure-ml", audience_job_roles=["ML engineer"])
    csv_before = "employee_id,name,email,department,job_role,start_date\nE-9,Ann,ann@example.org,Engineering,ML engineer,2020-01-01\n"
    csv_after = "employee_id,name,email,department,job_role,start_date\nE-9,Ann,ann@example.org,Clinical,Nurse,2020-01-01\n"
    services.apply_roster_import(actor=manager_user, content=csv_before)
    employee = Assignment.objects.get().employee
    assert rows(employee) == [("secure-ml", 1, "hire", "assigned")]

    services.apply_roster_import(actor=manager_user, content=csv_after)

    assert rows(employee) == [("secure-ml", 1, "hire", "cancelled"), ("hipaa", 1, "role_change", "assigned")]
    cancelled = Assignment.objects.get(course__code="secure-ml")
    assert cancelled.closed_reason == "No longer required for this employee."


def test_changing_a_courses_audience_assigns_the_newly_included_and_releases_the_excluded(manager_user):
    clinical = builders.employee(department="Clinical")
    engineer = builders.employee(department="Engineering")
    course = services.create_course(actor=manager_user, code="hipaa", title="HIPAA", audience_departments=["Clinical"], valid_days=365)
    assert rows(clinical) == [("hipaa", 1, "audience_change", "assigned")]
    assert rows(engineer) == []

    services.update_course(actor=manager_user, course=course, audience_departments=["Engineering"])

    assert rows(clinical) == [("hipaa", 1, "audience_change", "cancelled")]
    assert rows(engineer) == [("hipaa", 1, "audience_change", "assigned")]
    event = AuditEvent.objects.filter(action="training.course_updated").get()
    assert event.data["changed"] == ["audience_departments"]
    assert event.data["rules"] == {"created": 1, "cancelled": 1, "expired": 0, "status_changed": 0}


def test_a_custos_role_puts_its_holders_in_the_audience(make_user):
    from compliance.accounts.roles import Role

    builders.course("dpo-course", audience_roles=[Role.DPO])
    dpo_employee = builders.employee(user=make_user(Role.DPO))
    other = builders.employee(user=make_user(Role.AUDITOR))

    services.sync_assignments(now=NOW)

    assert rows(dpo_employee) == [("dpo-course", 1, "scheduled", "assigned")]
    assert rows(other) == []


def test_a_completion_lapses_and_its_renewal_is_assigned_before_with_the_old_row_kept(settings, manager_user):
    settings.TRAINING_RENEWAL_NOTICE_DAYS = 30
    course = builders.course(valid_days=365)
    worker = builders.employee(manager=builders.employee())
    services.sync_assignments(now=NOW)
    first = Assignment.objects.get(employee=worker)
    with time_machine.travel(NOW, tick=False):
        services.record_manager_completion(actor=manager_user, assignment=first, completed_at=NOW, evidence_note="Certificate seen")
    first.refresh_from_db()
    assert (first.status, first.expires_at) == (Status.COMPLETED, NOW + timedelta(days=365))

    services.sync_assignments(now=NOW + timedelta(days=334))
    assert rows(worker) == [("dp-basics", 1, "scheduled", "completed")]

    services.sync_assignments(now=NOW + timedelta(days=336))
    assert rows(worker) == [("dp-basics", 1, "scheduled", "completed"), ("dp-basics", 2, "renewal", "assigned")]
    renewal = Assignment.objects.get(employee=worker, cycle=2)
    assert renewal.due_at == first.expires_at

    services.sync_assignments(now=NOW + timedelta(days=366))
    assert rows(worker) == [("dp-basics", 1, "scheduled", "expired"), ("dp-basics", 2, "renewal", "overdue")]
    first.refresh_from_db()
    assert first.closed_reason == "The completion's validity ended."
    assert first.completion.course == course


def test_a_once_only_course_never_lapses(manager_user):
    builders.course("induction", valid_days=None)
    worker = builders.employee(manager=builders.employee())
    services.sync_assignments(now=NOW)
    with time_machine.travel(NOW, tick=False):
        services.record_manager_completion(
            actor=manager_user, assignment=Assignment.objects.get(employee=worker), completed_at=NOW, evidence_note="Seen"
        )

    services.sync_assignments(now=NOW + timedelta(days=3000))

    assert rows(worker) == [("induction", 1, "scheduled", "completed")]


def test_a_new_policy_version_taking_effect_reassigns_everyone_and_keeps_the_old_acknowledgement(make_user):
    from compliance.accounts.roles import Role

    policy = builders.policy(grace_days=14)
    builders.version(policy, "1.0", date(2026, 1, 1))
    version_two = builders.version(policy, "2.0", date(2026, 4, 1))
    user = make_user(Role.EMPLOYEE)
    worker = builders.employee(user=user)
    services.sync_assignments(now=NOW)
    first = Assignment.objects.get(employee=worker)
    assert first.policy_version.version == "1.0"
    with time_machine.travel(NOW, tick=False):
        services.acknowledge_policy(actor=user, assignment=first)

    services.sync_assignments(now=at(date(2026, 3, 31)))
    assert Assignment.objects.filter(employee=worker).count() == 1

    with time_machine.travel(at(date(2026, 4, 1)), tick=False):
        services.sync_assignments(now=at(date(2026, 4, 1)))

    versions = list(Assignment.objects.filter(employee=worker).order_by("id").values_list("policy_version__version", "reason", "status"))
    assert versions == [("1.0", "scheduled", "expired"), ("2.0", "policy_version", "assigned")]
    assert Assignment.objects.get(policy_version=version_two).due_at == end_of_day(date(2026, 4, 15))
    first.refresh_from_db()
    assert first.closed_reason == "Superseded by version 2.0."
    assert first.completion.policy_version.version == "1.0"


def test_an_unacknowledged_old_version_is_cancelled_when_the_new_one_takes_effect(manager_user):
    policy = builders.policy()
    builders.version(policy, "1.0", date(2026, 1, 1))
    worker = builders.employee()
    services.sync_assignments(now=NOW)

    with time_machine.travel(NOW, tick=False):
        services.add_policy_version(actor=manager_user, policy=policy, version="1.1", effective_date=NOW.date(), text="New text")

    versions = list(Assignment.objects.filter(employee=worker).order_by("id").values_list("policy_version__version", "status"))
    assert versions == [("1.0", "cancelled"), ("1.1", "assigned")]
    assert Assignment.objects.get(status="cancelled").closed_reason == "Superseded by version 1.1."


def test_a_leaver_has_open_assignments_cancelled_and_completed_history_kept(manager_user):
    builders.course("a")
    builders.course("b")
    header = "employee_id,name,email,department,job_role,start_date\n"
    services.apply_roster_import(actor=manager_user, content=header + "E-1,Ann,ann@example.org,Eng,Dev,2020-01-01\nE-2,Bob,bob@example.org,Eng,Dev,2020-01-01\n")
    bob = Assignment.objects.filter(employee__employee_number="E-2").first().employee
    services.record_manager_completion(
        actor=manager_user, assignment=Assignment.objects.get(employee=bob, course__code="a"), completed_at=timezone.now(), evidence_note="Seen"
    )

    services.apply_roster_import(actor=manager_user, content=header + "E-1,Ann,ann@example.org,Eng,Dev,2020-01-01\n")

    assert sorted(Assignment.objects.filter(employee=bob).values_list("course__code", "status", "closed_reason")) == [
        ("a", "completed", ""),
        ("b", "cancelled", "The employee left the organisation."),
    ]


def test_a_retired_course_cancels_its_open_assignments(manager_user):
    course = builders.course()
    builders.employee()
    services.sync_assignments(now=NOW)

    services.update_course(actor=manager_user, course=course, active=False)

    assert Assignment.objects.get().closed_reason == "The course was retired."
