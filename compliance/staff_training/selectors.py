"""Reads of staff training, scoped to what the user may see, and the figures controls and reports read.

Compliance managers and auditors read the roster and every assignment through
model-level view permissions (``staff_training.view_*``). Everyone else sees
their own training, and a manager the training of their direct reports: that
is object-level, decided here. A missing record and a forbidden one raise the
same Http404; a list the user may not see is empty. Lists and figures run in a
constant number of queries however many employees there are.

``training_summary`` and ``overdue_employees`` are unscoped: they hold no
personal data but employee ids, and serve the automated check and reports.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, FilteredRelation, Min, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from compliance.crypto.blind_index import NormalisationError, blind_index_candidates
from compliance.staff_training.models import (
    Assignment,
    Completion,
    Course,
    Employee,
    LmsImport,
    Policy,
    PolicyVersion,
    RosterImport,
    XapiStatement,
)

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


def _may(user, permission: str) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_perm(permission)


def _overdue_q(now: datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": OPEN, f"{prefix}due_at__lt": now})


def _with_counts(queryset: QuerySet[Employee], now: datetime) -> QuerySet[Employee]:
    return queryset.annotate(
        open_count=Count("assignments", filter=Q(assignments__status__in=OPEN), distinct=True),
        overdue_count=Count("assignments", filter=_overdue_q(now, "assignments__"), distinct=True),
    )


# --- The roster -------------------------------------------------------------------------------


def employee_for_user(*, user) -> Employee | None:
    """Return the employee the signed-in user is on the roster as, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Employee.objects.select_related("manager").filter(user=user).first()


@dataclass(frozen=True)
class OverdueItem:
    """One overdue requirement as the gate's banner and page show it."""

    assignment_id: int
    title: str
    code: str
    due_at: datetime
    is_policy: bool
    proof_kind: str
    passing_score: Decimal | None


@dataclass(frozen=True)
class TrainingStatus:
    """Whether the user is on the roster, and their overdue requirements (for the navigation and the gate)."""

    employee_id: object | None
    overdue: list[OverdueItem]

    @property
    def on_roster(self) -> bool:
        return self.employee_id is not None


STATUS_ATTRIBUTE = "_staff_training_status"


def training_status_for_user(*, user, now: datetime | None = None) -> TrainingStatus:
    """Return whether the user is an active employee on the roster and what they have overdue, in one query.

    Kept on the user object for the rest of the request, so the navigation and
    the training gate share the one query.
    """
    if not getattr(user, "is_authenticated", False):
        return TrainingStatus(None, [])
    cached = getattr(user, STATUS_ATTRIBUTE, None)
    if cached is not None:
        return cached
    now = now or timezone.now()
    overdue_join = FilteredRelation("assignments", condition=Q(assignments__status__in=OPEN, assignments__due_at__lt=now))
    rows = list(
        Employee.objects.filter(user=user)
        .annotate(overdue=overdue_join)
        .values(
            "id",
            "active",
            "overdue__id",
            "overdue__due_at",
            "overdue__course__code",
            "overdue__course__title",
            "overdue__course__proof_kind",
            "overdue__course__passing_score",
            "overdue__policy_version__version",
            "overdue__policy_version__policy__code",
            "overdue__policy_version__policy__title",
        )
        .order_by("overdue__due_at", "overdue__id")
    )
    employee_id = rows[0]["id"] if rows else None
    items = []
    for row in rows:
        if row["overdue__id"] is None or not row["active"]:
            continue
        if row["overdue__course__code"]:
            title, code, is_policy = row["overdue__course__title"], row["overdue__course__code"], False
        else:
            version = row["overdue__policy_version__version"]
            title = f"Acknowledge {row['overdue__policy_version__policy__title']} v{version}"
            code, is_policy = f"{row['overdue__policy_version__policy__code']}@{version}", True
        items.append(
            OverdueItem(
                assignment_id=row["overdue__id"],
                title=title,
                code=code,
                due_at=row["overdue__due_at"],
                is_policy=is_policy,
                proof_kind=row["overdue__course__proof_kind"] or "",
                passing_score=row["overdue__course__passing_score"],
            )
        )
    status = TrainingStatus(employee_id, items)
    setattr(user, STATUS_ATTRIBUTE, status)
    return status


def _visible_employees(user) -> QuerySet[Employee]:
    if _may(user, VIEW_EMPLOYEE):
        return Employee.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Employee.objects.none()
    return Employee.objects.filter(Q(user=user) | Q(manager__user=user))


def employees_for_user(
    *, user, department: str = "", status: str = "", q: str = "", now: datetime | None = None
) -> QuerySet[Employee]:
    """Return the employees the user may see (everyone with ``view_employee``, else their direct reports), filtered.

    Annotated with ``open_count`` and ``overdue_count``. ``status`` is one of
    "" (all), "active", "inactive", "overdue" or "current" (active, nothing
    overdue); ``q`` an employee id (part of it) or an exact work email.
    """
    now = now or timezone.now()
    if _may(user, VIEW_EMPLOYEE):
        queryset = Employee.objects.all()
    elif getattr(user, "is_authenticated", False):
        queryset = Employee.objects.filter(manager__user=user)
    else:
        return Employee.objects.none()
    if department:
        queryset = queryset.filter(department=department)
    q = (q or "").strip()
    if q:
        if "@" in q:
            try:
                queryset = queryset.filter(email_index__in=blind_index_candidates(q, "email"))
            except NormalisationError:
                queryset = queryset.none()
        else:
            queryset = queryset.filter(employee_number__icontains=q)
    queryset = _with_counts(queryset.select_related("manager", "user"), now)
    if status == "active":
        queryset = queryset.filter(active=True)
    elif status == "inactive":
        queryset = queryset.filter(active=False)
    elif status == "overdue":
        queryset = queryset.filter(active=True, overdue_count__gt=0)
    elif status == "current":
        queryset = queryset.filter(active=True, overdue_count=0)
    return queryset.order_by("employee_number")


def departments(*, user) -> list[str]:
    """Return the departments on the roster the user may see, sorted (for filters)."""
    return sorted(set(_visible_employees(user).values_list("department", flat=True)))


def employee_for_user_by_pk(*, user, pk) -> Employee:
    """Return an employee the user may see (a training reader, their manager, or themselves), else Http404."""
    try:
        return _visible_employees(user).select_related("manager", "user").get(pk=pk)
    except (Employee.DoesNotExist, ValueError, TypeError):
        raise Http404(NO_EMPLOYEE) from None


def _assignments(queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return queryset.select_related("employee", "course", "policy_version__policy", "completion", "waived_by")


def assignments_for_employee(*, user, employee: Employee) -> QuerySet[Assignment]:
    """Return every assignment of the employee, all cycles, newest first; Http404 if the user may not see them."""
    employee_for_user_by_pk(user=user, pk=employee.pk)
    return _assignments(Assignment.objects.filter(employee=employee)).order_by("-assigned_at", "-id")


def team_for_manager(*, user, now: datetime | None = None) -> QuerySet[Employee]:
    """Return the active direct reports of the user's employee, with counts and their open assignments prefetched.

    Each has ``open_assignments`` (open assignments, earliest due first),
    ``open_count`` and ``overdue_count``. Empty for someone who manages nobody.
    """
    now = now or timezone.now()
    me = employee_for_user(user=user)
    if me is None:
        return Employee.objects.none()
    open_assignments = Assignment.objects.filter(status__in=OPEN).select_related("course", "policy_version__policy")
    return (
        _with_counts(Employee.objects.filter(manager=me, active=True), now)
        .prefetch_related(Prefetch("assignments", queryset=open_assignments.order_by("due_at"), to_attr="open_assignments"))
        .order_by("employee_number")
    )


def _visible_assignments(user) -> QuerySet[Assignment]:
    if _may(user, VIEW_ASSIGNMENT):
        return Assignment.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Assignment.objects.none()
    return Assignment.objects.filter(Q(employee__user=user) | Q(employee__manager__user=user))


def assignment_for_user(*, user, pk) -> Assignment:
    """Return an assignment of the user, of their direct report, or any for a training reader; else Http404."""
    try:
        return _assignments(_visible_assignments(user)).select_related("employee__manager").get(pk=pk)
    except (Assignment.DoesNotExist, ValueError, TypeError):
        raise Http404(NO_ASSIGNMENT) from None


def completion_for_user(*, user, pk) -> Completion:
    """Return a completion the user may see (as for its assignment), else Http404."""
    visible = _visible_assignments(user).filter(pk=OuterRef("assignment_id"))
    try:
        return (
            Completion.objects.filter(Exists(visible))
            .select_related("employee", "course", "policy_version__policy", "assignment", "recorded_by")
            .get(pk=pk)
        )
    except (Completion.DoesNotExist, ValueError, TypeError):
        raise Http404(NO_COMPLETION) from None


# --- The catalogue ----------------------------------------------------------------------------


def courses_for_user(*, user, now: datetime | None = None) -> QuerySet[Course]:
    """Return every course (for training readers), annotated with ``required``, ``completed`` and ``overdue`` employees."""
    if not _may(user, VIEW_COURSE):
        return Course.objects.none()
    return _course_counts(Course.objects.all(), now or timezone.now()).order_by("code")


def course_for_user(*, user, code: str) -> Course:
    """Return a course by code for training readers, else Http404."""
    if not _may(user, VIEW_COURSE):
        raise Http404(NO_COURSE)
    try:
        return Course.objects.get(code=code)
    except Course.DoesNotExist:
        raise Http404(NO_COURSE) from None


def policies_for_user(*, user) -> QuerySet[Policy]:
    """Return every policy with its versions prefetched (newest first), for training readers."""
    if not _may(user, VIEW_POLICY):
        return Policy.objects.none()
    return Policy.objects.prefetch_related(Prefetch("versions", queryset=PolicyVersion.objects.order_by("-effective_date"))).order_by("code")


def policy_for_user(*, user, pk) -> Policy:
    """Return a policy for training readers, else Http404."""
    try:
        return policies_for_user(user=user).get(pk=pk)
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise Http404(NO_POLICY) from None


def current_version(*, policy: Policy, today: date | None = None) -> PolicyVersion | None:
    """Return the version of ``policy`` in force on ``today`` (the latest effective), or None."""
    today = today or timezone.localdate()
    return policy.versions.filter(effective_date__lte=today).order_by("-effective_date").first()


def version_for_user(*, user, pk) -> PolicyVersion:
    """Return a policy version its reader may open: a training reader, or an employee assigned to acknowledge it."""
    queryset = PolicyVersion.objects.select_related("policy")
    if not _may(user, VIEW_POLICY):
        queryset = queryset.filter(assignments__employee__user=user).distinct() if getattr(user, "is_authenticated", False) else queryset.none()
    try:
        return queryset.get(pk=pk)
    except (PolicyVersion.DoesNotExist, ValueError, TypeError):
        raise Http404(NO_POLICY) from None


# --- Imports and statements -----------------------------------------------------------------


def roster_imports_for_user(*, user) -> QuerySet[RosterImport]:
    """Return the applied roster imports, newest first, for training readers."""
    return RosterImport.objects.select_related("actor") if _may(user, "staff_training.view_rosterimport") else RosterImport.objects.none()


def lms_imports_for_user(*, user) -> QuerySet[LmsImport]:
    """Return the applied LMS imports, newest first, for training readers."""
    return LmsImport.objects.select_related("actor") if _may(user, "staff_training.view_lmsimport") else LmsImport.objects.none()


def statements_for_user(*, user, status: str = "") -> QuerySet[XapiStatement]:
    """Return received xAPI statements, newest first (optionally only accepted or rejected), for training readers."""
    if not _may(user, "staff_training.view_xapistatement"):
        return XapiStatement.objects.none()
    queryset = XapiStatement.objects.select_related("employee", "course")
    return queryset.filter(status=status) if status else queryset


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


def _live(prefix: str = "assignments__") -> Q:
    return Q(**{f"{prefix}status__in": LIVE, f"{prefix}employee__active": True})


def _course_counts(queryset: QuerySet[Course], now: datetime) -> QuerySet[Course]:
    employee = "assignments__employee"
    return queryset.annotate(
        required=Count(employee, distinct=True, filter=_live()),
        completed=Count(employee, distinct=True, filter=_live() & Q(assignments__status__in=Assignment.SATISFIED_STATUSES)),
        overdue=Count(employee, distinct=True, filter=_live() & _overdue_q(now, "assignments__")),
    )


def _course_figures(now: datetime) -> list[CourseFigure]:
    return [
        CourseFigure(course=course, required=course.required, completed=course.completed, overdue=course.overdue)
        for course in _course_counts(Course.objects.filter(active=True), now).order_by("code")
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
            overdue=Count("employee", distinct=True, filter=_overdue_q(now)),
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
    return Exists(Assignment.objects.filter(_overdue_q(now), employee=OuterRef("pk")))


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
    if not _may(user, VIEW_ASSIGNMENT):
        return Assignment.objects.none()
    now = now or timezone.now()
    return _assignments(Assignment.objects.filter(_overdue_q(now), employee__active=True)).select_related(
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
    if not _may(user, VIEW_ASSIGNMENT):
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
        in_scope=Count("pk"), overdue=Count("pk", filter=Q(pk__in=Assignment.objects.filter(_overdue_q(now)).values("employee_id")))
    )
    overdue_assignments_count = Assignment.objects.filter(_overdue_q(now), employee__active=True).count()
    return TrainingSummary(
        in_scope_employees=counts["in_scope"],
        current_employees=counts["in_scope"] - counts["overdue"],
        overdue_assignments=overdue_assignments_count,
        by_course=_course_figures(now),
    )


def overdue_employees(*, now: datetime | None = None, limit: int = 20) -> list[OverdueEmployee]:
    """Return up to ``limit`` active employees with overdue training, the longest overdue first (two queries)."""
    now = now or timezone.now()
    overdue = Assignment.objects.filter(_overdue_q(now)).select_related("course", "policy_version__policy").order_by("due_at")
    employees = (
        Employee.objects.filter(_overdue_exists(now), active=True)
        .annotate(earliest_due=Min("assignments__due_at", filter=_overdue_q(now, "assignments__")))
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
