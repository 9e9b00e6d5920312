"""Reminder emails about training: due soon and overdue to the employee, overdue to their manager, and a weekly digest.

Each reminder is recorded per assignment, threshold and due date (a database
constraint), so running again sends nothing new and only a new due date earns
new reminders. Mail leaves after commit, to the work email on the roster.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from compliance.staff_training.models import Assignment, AssignmentReminder, Employee, ManagerDigest

REMINDER_ACTOR = SystemActor("training-reminders")
Kind = AssignmentReminder.Kind


def _link(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return "/training/"


def _mail(assignment: Assignment, kind: str) -> tuple[str, str]:
    title = assignment.requirement_title
    due = timezone.localtime(assignment.due_at).strftime("%d %B %Y")
    if kind == Kind.DUE_SOON:
        subject = f"Training due on {due}: {title}"
        body = f"Your training “{title}” is due on {due}.\n\nComplete it in Custos: {_link('staff_training:my_training')}\n"
    elif kind == Kind.OVERDUE:
        subject = f"Training overdue: {title}"
        body = (
            f"Your training “{title}” was due on {due} and is not complete.\n\n"
            f"Complete it in Custos: {_link('staff_training:my_training')}\n"
        )
    else:
        subject = f"Training overdue in your team: {title}"
        body = (
            f"Employee {assignment.employee.employee_number} ({assignment.employee.name}) has not completed "
            f"“{title}”, due on {due}.\n\nSee your team in Custos: {_link('staff_training:team')}\n"
        )
    return subject, body


def _send_after_commit(subject: str, body: str, recipient: str) -> None:
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


@transaction.atomic
def send_reminders(*, now: datetime | None = None) -> int:
    """Email each open assignment's employee once when due soon and once when overdue, and their manager once when overdue.

    Return how many emails were sent. Inactive employees get none.
    """
    now = now or timezone.now()
    candidates = list(
        Assignment.objects.filter(
            status__in=Assignment.OPEN_STATUSES,
            employee__active=True,
            due_at__lte=now + timedelta(days=settings.TRAINING_DUE_SOON_DAYS),
        )
        .select_related("employee__manager", "course", "policy_version__policy")
        .select_for_update(of=("self",))
    )
    sent_before = set(
        AssignmentReminder.objects.filter(assignment__in=candidates).values_list("assignment_id", "kind", "due_at")
    )
    wanted: list[tuple[Assignment, str, Employee]] = []
    for assignment in candidates:
        overdue = now > assignment.due_at
        wanted.append((assignment, Kind.OVERDUE if overdue else Kind.DUE_SOON, assignment.employee))
        manager = assignment.employee.manager
        if overdue and manager is not None and manager.active:
            wanted.append((assignment, Kind.MANAGER_OVERDUE, manager))
    sent = 0
    for assignment, kind, recipient in wanted:
        if (assignment.pk, kind, assignment.due_at) in sent_before:
            continue
        _, created = AssignmentReminder.objects.get_or_create(
            assignment=assignment, kind=kind, due_at=assignment.due_at, defaults={"recipient": recipient, "sent_at": now}
        )
        if not created:
            continue
        subject, body = _mail(assignment, kind)
        _send_after_commit(subject, body, recipient.email)
        record_event(
            actor=REMINDER_ACTOR,
            action="training.reminder_sent",
            target=assignment,
            data={"kind": kind, "to": recipient.employee_number, "due": assignment.due_at.isoformat()},
        )
        sent += 1
    return sent


def iso_week(now: datetime) -> str:
    year, week, _ = timezone.localtime(now).isocalendar()
    return f"{year}-W{week:02d}"


@transaction.atomic
def send_manager_digests(*, now: datetime | None = None) -> int:
    """Email each active manager a digest of their direct reports' overdue training, once per ISO week; return how many."""
    now = now or timezone.now()
    week = iso_week(now)
    overdue = (
        Assignment.objects.filter(
            status__in=Assignment.OPEN_STATUSES,
            due_at__lt=now,
            employee__active=True,
            employee__manager__active=True,
        )
        .select_related("employee__manager", "course", "policy_version__policy")
        .order_by("employee__employee_number", "due_at")
    )
    by_manager: dict = defaultdict(list)
    for assignment in overdue:
        by_manager[assignment.employee.manager].append(assignment)
    done = set(ManagerDigest.objects.filter(week=week).values_list("manager_id", flat=True))
    sent = 0
    for manager, items in by_manager.items():
        if manager.pk in done:
            continue
        ManagerDigest.objects.create(manager=manager, week=week, overdue_count=len(items), sent_at=now)
        lines = [
            f"- {item.employee.employee_number} {item.employee.name}: {item.requirement_title}, "
            f"due {timezone.localtime(item.due_at):%d %B %Y}"
            for item in items
        ]
        subject = f"Your team's overdue training ({len(items)})"
        body = (
            f"These training items of your team are overdue ({week}):\n\n" + "\n".join(lines)
            + f"\n\nSee your team in Custos: {_link('staff_training:team')}\n"
        )
        _send_after_commit(subject, body, manager.email)
        record_event(
            actor=REMINDER_ACTOR,
            action="training.digest_sent",
            target=manager,
            data={"week": week, "manager": manager.employee_number, "overdue": len(items)},
        )
        sent += 1
    return sent
