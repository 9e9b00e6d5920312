"""Training figures: completion per course, policy and department, the overdue list, the 12-month trend.

``compliance_overview`` is for training readers; ``training_summary`` and
``overdue_employees`` are unscoped (they carry no personal data but employee
ids) and serve the automated check and reports. Every figure runs in a
constant number of queries however many employees there are.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from compliance.staff_training.models import Assignment, Completion, Course, Employee, Policy, PolicyVersion
from compliance.staff_training.selectors.common import LIVE, VIEW_ASSIGNMENT, course_counts, may, overdue_q, with_related

# --- Figures ----------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class CourseFigure:
    """One course: employees required to take it now, those current (completed or waived), those overdue."""

    course: Course
    required: int
    completed: int
    overdue: int

    @property
    def share(self) -> float | None:
        return _share(self.completed, self.required)


@dataclass(frozen=True)
class PolicyFigure:
    """One policy's version in force: employees asked to acknowledge it, those who did, those overdue."""

    policy: Policy
    version: PolicyVersion
    required: int
    completed: int
    overdue: int

    @property
    def share(self) -> float | None:
        return _share(self.completed, self.required)


@dataclass(frozen=True)
class DepartmentFigure:
    """One department: active employees with training to do, and those with nothing overdue."""

    department: str
    employees: int
    current: int

    @property
    def share(self) -> float | None:
        return _share(self.current, self.employees)


@dataclass(frozen=True)
class MonthFigure:
    """One month: completions recorded, assignments due, and those completed by their due date."""

    month: date
    completed: int
    due: int
    on_time: int

    @property
    def on_time_share(self) -> float | None:
        return _share(self.on_time, self.due)


@dataclass(frozen=True)
class ComplianceOverview:
    """The compliance view's figures."""

    by_course: list[CourseFigure]
    by_policy: list[PolicyFigure]
    by_department: list[DepartmentFigure]
    overdue: QuerySet
    trend: list[MonthFigure]


@dataclass(frozen=True)
class TrainingSummary:
    """The organisation's training in figures: in-scope employees, those current, overdue assignments."""

    in_scope_employees: int
    current_employees: int
    overdue_assignments: int
    by_course: list[CourseFigure] = field(default_factory=list)

    @property
    def current_share(self) -> float | None:
        return _share(self.current_employees, self.in_scope_employees)


@dataclass(frozen=True)
class OverdueEmployee:
    """An employee with overdue training: what is overdue, and the earliest due date."""

    employee: Employee
    titles: list[str]
    earliest_due: datetime


def _course_figures(now: datetime) -> list[CourseFigure]:
    return [
        CourseFigure(course=course, required=course.required, completed=course.completed, overdue=course.overdue)
        for course in course_counts(Course.objects.filter(active=True), now).order_by("code")
    ]


def _policy_figures(now: datetime) -> list[PolicyFigure]:
    today = timezone.localdate(now)
    policies = list(Policy.objects.filter(active=True).prefetch_related("versions").order_by("code"))
    current = {}
    for policy in policies:
        in_force = [version for version in policy.versions.all() if version.effective_date <= today]
        if in_force:
            current[policy.pk] = max(in_force, key=lambda version: version.effective_date)
    counts = {
        row["policy_version_id"]: row
        for row in Assignment.objects.filter(
            policy_version_id__in=[version.pk for version in current.values()], status__in=LIVE, employee__active=True
        )
        .values("policy_version_id")
        .annotate(
            required=Count("employee", distinct=True),
            completed=Count("employee", distinct=True, filter=Q(status__in=Assignment.SATISFIED_STATUSES)),
            overdue=Count("employee", distinct=True, filter=overdue_q(now)),
        )
    }
    figures = []
    for policy in policies:
        version = current.get(policy.pk)
        if version is None:
            continue
        row = counts.get(version.pk, {})
        figures.append(
            PolicyFigure(policy, version, row.get("required", 0), row.get("completed", 0), row.get("overdue", 0))
        )
    return figures


def _in_scope_employees() -> QuerySet[Employee]:
    live = Assignment.objects.filter(employee=OuterRef("pk"), status__in=LIVE)
    return Employee.objects.filter(Exists(live), active=True)


def _overdue_exists(now: datetime):
    return Exists(Assignment.objects.filter(overdue_q(now), employee=OuterRef("pk")))


def _department_figures(now: datetime) -> list[DepartmentFigure]:
    rows = (
        _in_scope_employees()
        .annotate(is_overdue=_overdue_exists(now))
        .values("department")
        .annotate(employees=Count("pk"), overdue=Count("pk", filter=Q(is_overdue=True)))
        .order_by("department")
    )
    return [DepartmentFigure(row["department"], row["employees"], row["employees"] - row["overdue"]) for row in rows]


def overdue_assignments(*, user, now: datetime | None = None) -> QuerySet[Assignment]:
    """Return the open assignments past their due date of active employees, earliest first (training readers only)."""
    if not may(user, VIEW_ASSIGNMENT):
        return Assignment.objects.none()
    now = now or timezone.now()
    return with_related(Assignment.objects.filter(overdue_q(now), employee__active=True)).select_related(
        "employee__manager"
    ).order_by("due_at", "id")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _months(now: datetime, count: int = 12) -> list[date]:
    month = _month_start(timezone.localdate(now))
    months = [month]
    for _ in range(count - 1):
        month = _month_start(month.replace(day=1) - timedelta(days=1))
        months.append(month)
    return list(reversed(months))


def _trend(now: datetime) -> list[MonthFigure]:
    months = _months(now)
    start = timezone.make_aware(datetime(months[0].year, months[0].month, 1))
    tz = timezone.get_current_timezone()

    def key(value) -> date:
        value = value.date() if isinstance(value, datetime) else value
        return _month_start(value)

    completed = {
        key(row["month"]): row["n"]
        for row in Completion.objects.filter(completed_at__gte=start, completed_at__lte=now)
        .annotate(month=TruncMonth("completed_at", tzinfo=tz))
        .values("month")
        .annotate(n=Count("pk"))
    }
    due = {
        key(row["month"]): row
        for row in Assignment.objects.filter(due_at__gte=start, due_at__lte=now)
        .exclude(status=Assignment.Status.CANCELLED)
        .annotate(month=TruncMonth("due_at", tzinfo=tz))
        .values("month")
        .annotate(
            n=Count("pk"),
            on_time=Count(
                "pk",
                filter=Q(status=Assignment.Status.WAIVED)
                | Q(completed_at__isnull=False, completed_at__lte=F("due_at")),
            ),
        )
    }
    return [
        MonthFigure(month, completed.get(month, 0), due.get(month, {}).get("n", 0), due.get(month, {}).get("on_time", 0))
        for month in months
    ]


def compliance_overview(*, user, now: datetime | None = None) -> ComplianceOverview:
    """Return completion per course, policy and department, the overdue list and 12 months of trend; Http404 for non-readers."""
    if not may(user, VIEW_ASSIGNMENT):
        raise Http404("No such page.")
    now = now or timezone.now()
    return ComplianceOverview(
        by_course=_course_figures(now),
        by_policy=_policy_figures(now),
        by_department=_department_figures(now),
        overdue=overdue_assignments(user=user, now=now),
        trend=_trend(now),
    )


def training_summary(*, now: datetime | None = None) -> TrainingSummary:
    """Return the organisation's figures: employees with training to do, those current (nothing overdue), overdue assignments.

    An employee still within the time allowed (a new starter's grace period, a
    renewal not yet due) is current; only overdue training makes them not.
    """
    now = now or timezone.now()
    counts = _in_scope_employees().aggregate(
        in_scope=Count("pk"), overdue=Count("pk", filter=Q(pk__in=Assignment.objects.filter(overdue_q(now)).values("employee_id")))
    )
    overdue_assignments_count = Assignment.objects.filter(overdue_q(now), employee__active=True).count()
    return TrainingSummary(
        in_scope_employees=counts["in_scope"],
        current_employees=counts["in_scope"] - counts["overdue"],
        overdue_assignments=overdue_assignments_count,
        by_course=_course_figures(now),
    )


def overdue_employees(*, now: datetime | None = None, limit: int = 20) -> list[OverdueEmployee]:
    """Return up to ``limit`` active employees with overdue training, the longest overdue first (two queries)."""
    now = now or timezone.now()
    overdue = Assignment.objects.filter(overdue_q(now)).select_related("course", "policy_version__policy").order_by("due_at")
    employees = (
        Employee.objects.filter(_overdue_exists(now), active=True)
        .annotate(earliest_due=Min("assignments__due_at", filter=overdue_q(now, "assignments__")))
        .prefetch_related(Prefetch("assignments", queryset=overdue, to_attr="overdue_assignments"))
        .order_by("earliest_due", "employee_number")[:limit]
    )
    return [
        OverdueEmployee(
            employee=employee,
            titles=[assignment.requirement_title for assignment in employee.overdue_assignments],
            earliest_due=employee.earliest_due,
        )
        for employee in employees
    ]


def completion_score_display(score: Decimal | None) -> str:
    """Return a score as people read it (``85%``), or an empty string."""
    return "" if score is None else f"{score.normalize():f}%"
