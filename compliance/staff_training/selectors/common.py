"""What the training selectors share: permission names, status groups, and query pieces."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from compliance.staff_training.models import Assignment, Course, Employee

VIEW_EMPLOYEE = "staff_training.view_employee"
VIEW_ASSIGNMENT = "staff_training.view_assignment"
VIEW_COURSE = "staff_training.view_course"
VIEW_POLICY = "staff_training.view_policy"
OPEN = Assignment.OPEN_STATUSES
LIVE = (*Assignment.OPEN_STATUSES, *Assignment.SATISFIED_STATUSES)
NO_EMPLOYEE = "No such employee."
NO_ASSIGNMENT = "No such assignment."
NO_COMPLETION = "No such completion."
NO_COURSE = "No such course."
NO_POLICY = "No such policy."


def may(user, permission: str) -> bool:
    """Whether a signed-in user holds ``permission``."""
    return getattr(user, "is_authenticated", False) and user.has_perm(permission)


def overdue_q(now: datetime, prefix: str = "") -> Q:
    """Filter of open assignments past their due date (``prefix`` for a related lookup)."""
    return Q(**{f"{prefix}status__in": OPEN, f"{prefix}due_at__lt": now})


def with_counts(queryset: QuerySet[Employee], now: datetime) -> QuerySet[Employee]:
    """Annotate employees with ``open_count`` and ``overdue_count``."""
    return queryset.annotate(
        open_count=Count("assignments", filter=Q(assignments__status__in=OPEN), distinct=True),
        overdue_count=Count("assignments", filter=overdue_q(now, "assignments__"), distinct=True),
    )


def with_related(queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Select what an assignment row shows: employee, course, policy version, completion, approver."""
    return queryset.select_related("employee", "course", "policy_version__policy", "completion", "waived_by")


def live_q(prefix: str = "assignments__") -> Q:
    """Filter of assignments still in force (open, completed or waived) of active employees."""
    return Q(**{f"{prefix}status__in": LIVE, f"{prefix}employee__active": True})


def course_counts(queryset: QuerySet[Course], now: datetime) -> QuerySet[Course]:
    """Annotate courses with the employees ``required``, ``completed`` (or waived) and ``overdue``."""
    employee = "assignments__employee"
    return queryset.annotate(
        required=Count(employee, distinct=True, filter=live_q()),
        completed=Count(employee, distinct=True, filter=live_q() & Q(assignments__status__in=Assignment.SATISFIED_STATUSES)),
        overdue=Count(employee, distinct=True, filter=live_q() & overdue_q(now, "assignments__")),
    )
