"""Reminder emails: due soon and overdue to the employee, overdue to the manager, each threshold once; the weekly digest."""

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.staff_training import services, tasks
from compliance.staff_training.models import Assignment, AssignmentReminder, ManagerDigest
from compliance.staff_training.services.clock import end_of_day
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def assigned():
    """An employee (with a manager) assigned dp-basics due on 31 March 2026."""
    builders.course("dp-basics", title="Data protection basics", grace_days=30, audience_departments=["Engineering"])
    boss = builders.employee(email="boss@example.org", department="Executive")
    worker = builders.employee(manager=boss, email="worker@example.org", start_date=date(2026, 3, 1))
    services.sync_assignments(now=START)
    assignment = Assignment.objects.get(employee=worker)
    assert assignment.due_at == end_of_day(date(2026, 3, 31))
    return worker, boss, assignment


def sent(django_capture_on_commit_callbacks, **kwargs) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return services.send_reminders(**kwargs)


def test_nothing_is_sent_before_the_due_soon_window(assigned, django_capture_on_commit_callbacks):
    assert sent(django_capture_on_commit_callbacks, now=START) == 0
    assert mail.outbox == []


def test_due_soon_is_mailed_to_the_employee_once(assigned, django_capture_on_commit_callbacks):
    soon = end_of_day(date(2026, 3, 31)) - timedelta(days=10)

    assert sent(django_capture_on_commit_callbacks, now=soon) == 1
    assert sent(django_capture_on_commit_callbacks, now=soon + timedelta(days=1)) == 0

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["worker@example.org"]
    assert mail.outbox[0].subject == "Training due on 31 March 2026: Data protection basics"
    assert AssignmentReminder.objects.get().kind == "due_soon"


def test_overdue_is_mailed_once_to_the_employee_and_once_to_the_manager(assigned, django_capture_on_commit_callbacks):
    worker, boss, assignment = assigned
    late = end_of_day(date(2026, 3, 31)) + timedelta(days=2)

    assert sent(django_capture_on_commit_callbacks, now=late) == 2
    assert sent(django_capture_on_commit_callbacks, now=late + timedelta(days=5)) == 0

    assert sorted((message.to[0], message.subject) for message in mail.outbox) == [
        ("boss@example.org", "Training overdue in your team: Data protection basics"),
        ("worker@example.org", "Training overdue: Data protection basics"),
    ]
    assert f"Employee {worker.employee_number} (" in next(m.body for m in mail.outbox if m.to == ["boss@example.org"])
    assert AuditEvent.objects.filter(action="training.reminder_sent").count() == 2


def test_each_threshold_is_sent_once_through_the_whole_cycle(assigned, django_capture_on_commit_callbacks):
    due = end_of_day(date(2026, 3, 31))
    for day in range(-20, 10):
        sent(django_capture_on_commit_callbacks, now=due + timedelta(days=day))

    assert sorted(AssignmentReminder.objects.values_list("kind", flat=True)) == ["due_soon", "manager_overdue", "overdue"]
    assert len(mail.outbox) == 3


def test_completed_and_inactive_employees_get_nothing(assigned, django_capture_on_commit_callbacks):
    worker, _, assignment = assigned
    Assignment.objects.filter(pk=assignment.pk).update(status="completed", completed_at=START)

    assert sent(django_capture_on_commit_callbacks, now=START + timedelta(days=40)) == 0


def test_the_weekly_digest_lists_the_teams_overdue_items_once_a_week(assigned, django_capture_on_commit_callbacks):
    worker, boss, _ = assigned
    monday = timezone.make_aware(datetime(2026, 4, 6, 7, 30))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_manager_digests(now=monday) == 1
        assert services.send_manager_digests(now=monday + timedelta(days=2)) == 0
        assert services.send_manager_digests(now=monday + timedelta(days=7)) == 1

    assert [message.to for message in mail.outbox] == [["boss@example.org"], ["boss@example.org"]]
    assert mail.outbox[0].subject == "Your team's overdue training (1)"
    assert f"- {worker.employee_number} " in mail.outbox[0].body
    assert ManagerDigest.objects.filter(manager=boss).count() == 2


def test_the_tasks_call_the_services(assigned, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sync_assignments() == {"created": 0, "cancelled": 0, "expired": 0, "status_changed": 1}
        assert tasks.send_reminders() == 2
        assert tasks.send_manager_digests() == 1


def test_the_beat_schedule_runs_the_training_tasks(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"staff_training.sync_assignments", "staff_training.send_reminders", "staff_training.send_manager_digests"} <= scheduled
