"""Reads of the roster, assignments, completions, the catalogue and the import runs, scoped to the user.

Compliance managers and auditors read everything through model-level view
permissions (``staff_training.view_*``). Everyone else sees their own training,
and a manager the training of their direct reports: that is object-level,
decided here. A missing record and a forbidden one raise the same Http404; a
list the user may not see is empty.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Exists, FilteredRelation, OuterRef, Prefetch, Q, QuerySet
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
from compliance.staff_training.selectors.common import (
    NO_ASSIGNMENT,
    NO_COMPLETION,
    NO_COURSE,
    NO_EMPLOYEE,
    NO_POLICY,
    OPEN,
    VIEW_ASSIGNMENT,
    VIEW_COURSE,
    VIEW_EMPLOYEE,
    VIEW_POLICY,
    course_counts,
    may,
    with_counts,
    with_related,
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
    if may(user, VIEW_EMPLOYEE):
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
    if may(user, VIEW_EMPLOYEE):
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
    queryset = with_counts(queryset.select_related("manager", "user"), now)
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


def assignments_for_employee(*, user, employee: Employee) -> QuerySet[Assignment]:
    """Return every assignment of the employee, all cycles, newest first; Http404 if the user may not see them."""
    employee_for_user_by_pk(user=user, pk=employee.pk)
    return with_related(Assignment.objects.filter(employee=employee)).order_by("-assigned_at", "-id")


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
        with_counts(Employee.objects.filter(manager=me, active=True), now)
        .prefetch_related(Prefetch("assignments", queryset=open_assignments.order_by("due_at"), to_attr="open_assignments"))
        .order_by("employee_number")
    )


def _visible_assignments(user) -> QuerySet[Assignment]:
    if may(user, VIEW_ASSIGNMENT):
        return Assignment.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Assignment.objects.none()
    return Assignment.objects.filter(Q(employee__user=user) | Q(employee__manager__user=user))


def assignment_for_user(*, user, pk) -> Assignment:
    """Return an assignment of the user, of their direct report, or any for a training reader; else Http404."""
    try:
        return with_related(_visible_assignments(user)).select_related("employee__manager").get(pk=pk)
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
    if not may(user, VIEW_COURSE):
        return Course.objects.none()
    return course_counts(Course.objects.all(), now or timezone.now()).order_by("code")


def course_for_user(*, user, code: str) -> Course:
    """Return a course by code for training readers, else Http404."""
    if not may(user, VIEW_COURSE):
        raise Http404(NO_COURSE)
    try:
        return Course.objects.get(code=code)
    except Course.DoesNotExist:
        raise Http404(NO_COURSE) from None


def policies_for_user(*, user) -> QuerySet[Policy]:
    """Return every policy with its versions prefetched (newest first), for training readers."""
    if not may(user, VIEW_POLICY):
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
    if not may(user, VIEW_POLICY):
        queryset = queryset.filter(assignments__employee__user=user).distinct() if getattr(user, "is_authenticated", False) else queryset.none()
    try:
        return queryset.get(pk=pk)
    except (PolicyVersion.DoesNotExist, ValueError, TypeError):
        raise Http404(NO_POLICY) from None


# --- Imports and statements -----------------------------------------------------------------


def roster_imports_for_user(*, user) -> QuerySet[RosterImport]:
    """Return the applied roster imports, newest first, for training readers."""
    return RosterImport.objects.select_related("actor") if may(user, "staff_training.view_rosterimport") else RosterImport.objects.none()


def lms_imports_for_user(*, user) -> QuerySet[LmsImport]:
    """Return the applied LMS imports, newest first, for training readers."""
    return LmsImport.objects.select_related("actor") if may(user, "staff_training.view_lmsimport") else LmsImport.objects.none()


def statements_for_user(*, user, status: str = "") -> QuerySet[XapiStatement]:
    """Return received xAPI statements, newest first (optionally only accepted or rejected), for training readers."""
    if not may(user, "staff_training.view_xapistatement"):
        return XapiStatement.objects.none()
    queryset = XapiStatement.objects.select_related("employee", "course")
    return queryset.filter(status=status) if status else queryset


