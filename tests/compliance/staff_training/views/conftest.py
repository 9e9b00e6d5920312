"""Rows the training page tests build directly (employees, assignments, completions), beside tests/…/builders.py."""

from datetime import timedelta

from django.utils import timezone

from compliance.staff_training.models import Assignment, Completion, Employee
from tests.compliance.staff_training import builders

Status = Assignment.Status


def assignment(employee: Employee, *, course=None, policy_version=None, status=Status.ASSIGNED, due_in_days: int = 20, **fields) -> Assignment:
    """Save and return an assignment of ``course`` or ``policy_version`` to ``employee``, due in ``due_in_days``."""
    now = timezone.now()
    defaults = {
        "reason": Assignment.Reason.HIRE,
        "due_at": now + timedelta(days=due_in_days),
        "assigned_at": now - timedelta(days=30),
    }
    if status == Status.COMPLETED:
        defaults["completed_at"] = now - timedelta(days=3)
    defaults.update(fields)
    return Assignment.objects.create(employee=employee, course=course, policy_version=policy_version, status=status, **defaults)


def completed(employee: Employee, course, *, score=None, **fields) -> Completion:
    """Save and return a completed assignment of ``course`` and its completion (as an LMS record)."""
    done = assignment(employee, course=course, status=Status.COMPLETED, expires_at=timezone.now() + timedelta(days=300), **fields)
    return Completion.objects.create(
        assignment=done,
        employee=employee,
        course=course,
        source=Completion.Source.LMS_CSV,
        score=score,
        completed_at=done.completed_at,
    )


def employee_of(user, **fields) -> Employee:
    """Save and return an employee linked to ``user`` (their "My training")."""
    return builders.employee(user=user, **fields)
