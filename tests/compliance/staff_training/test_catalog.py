"""Courses and policies: creation with validation, versions, links of users to employees; the 12-month trend."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training import selectors, services
from compliance.staff_training.models import Assignment, Course
from compliance.staff_training.services import TrainingActionRefused
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db


def test_creating_a_course_cleans_its_lists_and_assigns_its_audience(manager_user):
    builders.employee(department="Clinical")

    course = services.create_course(
        actor=manager_user,
        code="hipaa",
        title="HIPAA",
        audience_departments=[" Clinical ", "Clinical", ""],
        requirement_refs=["hipaa:164.308(a)(5)"],
        passing_score="75",
        valid_days=365,
        xapi_activity_id="  ",
    )

    assert (course.audience_departments, course.passing_score, course.xapi_activity_id) == (["Clinical"], 75, None)
    assert Assignment.objects.filter(course=course).count() == 1
    assert AuditEvent.objects.get(action="training.course_created").data == {"code": "hipaa", "audience": "Clinical", "assigned": 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"audience_roles": ["Wizard"]}, "Unknown Custos role 'Wizard'; use one of: DPO, Compliance manager, Auditor, Data steward, ML engineer, Employee."),
        ({"passing_score": 120}, "The passing score is a percentage between 0 and 100."),
        ({"passing_score": "high"}, "The passing score 'high' is not a number."),
        ({"valid_days": 0}, "A course is valid for at least one day; leave it empty for a once-only course."),
        ({"title": ""}, "Title: This field cannot be blank."),
    ],
)
def test_a_course_with_bad_fields_is_refused_with_the_reason(manager_user, fields, message):
    arguments = {"code": "x", "title": "X", **fields}
    with pytest.raises(TrainingActionRefused) as refusal:
        services.create_course(actor=manager_user, **arguments)
    assert str(refusal.value) == message
    assert not Course.objects.exists()


def test_a_duplicate_code_or_activity_id_is_refused(manager_user):
    services.create_course(actor=manager_user, code="dp", title="DP", xapi_activity_id="https://lms.example.org/dp")

    for fields in ({"code": "dp"}, {"code": "dp2", "xapi_activity_id": "https://lms.example.org/dp"}):
        with pytest.raises(TrainingActionRefused) as refusal:
            services.create_course(actor=manager_user, title="Again", **fields)
        assert str(refusal.value) == "Another course already uses this code or xAPI activity id."


def test_updating_a_course_without_changes_records_nothing(manager_user):
    course = services.create_course(actor=manager_user, code="dp", title="DP")
    events = AuditEvent.objects.count()

    services.update_course(actor=manager_user, course=course, title="DP")

    assert AuditEvent.objects.count() == events


def test_policy_versions_are_refused_without_content_or_twice(manager_user):
    policy = services.create_policy(actor=manager_user, code="aup", title="Acceptable use")
    services.add_policy_version(actor=manager_user, policy=policy, version="1.0", effective_date=date(2030, 1, 1), text="Be good")

    cases = [
        ({"version": "2.0", "effective_date": date(2030, 2, 1)}, "Give the policy's text or upload its file."),
        ({"version": "1.0", "effective_date": date(2030, 2, 1), "text": "x"}, "Acceptable use already has a version 1.0."),
        ({"version": "", "effective_date": date(2030, 2, 1), "text": "x"}, "Name the version, for example 2.0."),
        ({"version": "3.0", "effective_date": date(2030, 1, 1), "text": "x"}, "Acceptable use already has a version taking effect on 01 January 2030."),
    ]
    for fields, message in cases:
        with pytest.raises(TrainingActionRefused) as refusal:
            services.add_policy_version(actor=manager_user, policy=policy, **fields)
        assert str(refusal.value) == message
    # A version taking effect later assigns nothing yet.
    builders.employee()
    services.add_policy_version(actor=manager_user, policy=policy, version="1.1", effective_date=date(2031, 1, 1), text="Later")
    assert not Assignment.objects.exists()


def test_linking_a_user_puts_them_in_their_roles_audience_and_a_user_links_once(manager_user, make_user):
    builders.course("dpo-course", audience_roles=[Role.DPO])
    dpo = make_user(Role.DPO)
    first, second = builders.employee(), builders.employee()

    services.link_employee_user(actor=manager_user, employee=first, user=dpo)

    assert Assignment.objects.get().employee == first
    with pytest.raises(TrainingActionRefused) as refusal:
        services.link_employee_user(actor=manager_user, employee=second, user=dpo)
    assert str(refusal.value) == f"{dpo.get_username()} is already linked to another employee."
    services.link_employee_user(actor=manager_user, employee=first, user=None)
    assert Assignment.objects.get().status == "cancelled"


def test_the_trend_counts_completions_and_on_time_rates_per_month(manager_user):
    builders.course("dp", grace_days=10)
    worker = builders.employee(manager=builders.employee(department="Executive"), department="Engineering")
    start = timezone.make_aware(datetime(2026, 1, 5, 9))
    services.sync_assignments(now=start)
    late_one = Assignment.objects.filter(employee=worker).get()
    with time_machine.travel(start + timedelta(days=30), tick=False):
        services.record_manager_completion(
            actor=manager_user, assignment=late_one, completed_at=start + timedelta(days=30), evidence_note="Seen"
        )

    trend = selectors.compliance_overview(user=manager_user, now=timezone.make_aware(datetime(2026, 3, 15, 12))).trend

    by_month = {figure.month: figure for figure in trend}
    assert len(trend) == 12 and trend[0].month == date(2025, 4, 1)
    assert (by_month[date(2026, 2, 1)].completed, by_month[date(2026, 1, 1)].due) == (1, 2)
    assert by_month[date(2026, 1, 1)].on_time == 0
    assert by_month[date(2026, 1, 1)].on_time_share == 0
