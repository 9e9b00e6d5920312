"""The assignment rules: who must complete which course and acknowledge which policy version, by when.

One engine, ``reconcile``, serves every trigger: a hire or a change of
department or role (the roster import), a change of a course's audience, a
policy version taking effect, and the nightly ``sync_assignments``, which also
lapses completions past their validity, assigns renewals
``TRAINING_RENEWAL_NOTICE_DAYS`` before a completion lapses, and sets every open
assignment's status (assigned, due soon, overdue). Rows are never rewritten
into another cycle: a renewal or a new version adds a row, the old one is
closed (expired or cancelled) with the reason, so the history stays.

It works in a constant number of queries for any number of employees: load the
roster, the catalogue and the live assignments once, decide in memory, then
write with ``bulk_create`` and one ``update`` per new status.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from compliance.staff_training.models import Assignment, Course, Employee, Policy, PolicyVersion
from compliance.staff_training.services.clock import end_of_day, open_status

SYNC_ACTOR = SystemActor("training-sync")
Reason = Assignment.Reason
Status = Assignment.Status
# A first assignment of someone still within their grace period counts as part of their hiring,
# whichever of these triggered it (a change of role is recorded as such).
NEW_STARTER_TRIGGERS = (Reason.SCHEDULED, Reason.AUDIENCE_CHANGE, Reason.HIRE)


@dataclass(frozen=True)
class SyncResult:
    """What one run of the rules changed."""

    created: int = 0
    cancelled: int = 0
    expired: int = 0
    status_changed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.cancelled or self.expired or self.status_changed)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "cancelled": self.cancelled,
            "expired": self.expired,
            "status_changed": self.status_changed,
        }


def employee_roles(employee: Employee) -> frozenset[str]:
    """Return the Custos roles of the employee's linked user (prefetched ``user__groups``)."""
    if employee.user_id is None:
        return frozenset()
    return frozenset(group.name for group in employee.user.groups.all())


def in_audience(requirement: Course | Policy, employee: Employee) -> bool:
    """Whether ``employee`` must take ``requirement`` (an active employee and an active requirement)."""
    return (
        employee.active
        and requirement.active
        and requirement.includes(department=employee.department, job_role=employee.job_role, roles=employee_roles(employee))
    )


def current_versions(policies, today: date) -> dict[int, PolicyVersion]:
    """Map each policy id to its version in force on ``today`` (the latest effective one)."""
    current: dict[int, PolicyVersion] = {}
    for policy in policies:
        in_force = [version for version in policy.versions.all() if version.effective_date <= today]
        if in_force:
            current[policy.pk] = max(in_force, key=lambda version: version.effective_date)
    return current


def first_due(*, employee: Employee, grace_days: int, available_from: date, today: date) -> datetime:
    """Due date of a first assignment: a grace period after the later of the start date and the day the
    requirement applied (a new version's effective date); if that is already past, a grace period from today."""
    base = max(employee.start_date, available_from)
    due = base + timedelta(days=grace_days)
    if due < today:
        due = today + timedelta(days=grace_days)
    return end_of_day(due)


def _is_new_starter(employee: Employee, grace_days: int, today: date) -> bool:
    return employee.start_date + timedelta(days=grace_days) >= today


class _Plan:
    """The writes one reconcile run decided on."""

    def __init__(self, now: datetime):
        self.now = now
        self.new: list[Assignment] = []
        self.cancel: dict[str, list[int]] = defaultdict(list)
        self.expire: dict[str, list[int]] = defaultdict(list)
        self.status: dict[str, list[int]] = defaultdict(list)

    def add(self, **fields) -> None:
        status = open_status(fields["due_at"], self.now)
        self.new.append(
            Assignment(assigned_at=self.now, status=status, status_changed_at=self.now, **fields)
        )

    def write(self) -> SyncResult:
        now = self.now
        for reason, pks in self.expire.items():
            Assignment.objects.filter(pk__in=pks).update(
                status=Status.EXPIRED, closed_at=now, closed_reason=reason, status_changed_at=now
            )
        for reason, pks in self.cancel.items():
            Assignment.objects.filter(pk__in=pks).update(
                status=Status.CANCELLED, closed_at=now, closed_reason=reason, status_changed_at=now
            )
        for status, pks in self.status.items():
            Assignment.objects.filter(pk__in=pks).update(status=status, status_changed_at=now)
        Assignment.objects.bulk_create(self.new, batch_size=500)
        return SyncResult(
            created=len(self.new),
            cancelled=sum(map(len, self.cancel.values())),
            expired=sum(map(len, self.expire.values())),
            status_changed=sum(map(len, self.status.values())),
        )


def reconcile(
    *,
    now: datetime,
    reason: str = Reason.SCHEDULED,
    employees: QuerySet[Employee] | None = None,
    courses: QuerySet[Course] | None = None,
    policies: QuerySet[Policy] | None = None,
) -> SyncResult:
    """Bring assignments in line with the rules for the given employees and requirements (all by default).

    The caller holds the transaction and records the audit event; ``reason``
    names the trigger for first assignments (a renewal or a new policy version
    is recorded as such whatever the trigger).
    """
    today = timezone.localdate(now)
    # Two runs at once (the nightly sync and an import) would decide from the same
    # snapshot; locking the catalogue's rows makes the second wait for the first.
    list(Course.objects.select_for_update().values_list("pk", flat=True))
    list(Policy.objects.select_for_update().values_list("pk", flat=True))
    employee_list = list(
        (employees if employees is not None else Employee.objects.all()).select_related("user").prefetch_related("user__groups")
    )
    if not employee_list:
        return SyncResult()
    employee_ids = [employee.pk for employee in employee_list]
    # The whole roster (the nightly run) needs no list of ids in the queries below.
    of_employees = Q() if employees is None else Q(employee_id__in=employee_ids)
    course_list = list(courses if courses is not None else Course.objects.all())
    policy_list = list((policies if policies is not None else Policy.objects.all()).prefetch_related("versions"))
    versions = current_versions(policy_list, today)
    plan = _Plan(now)

    live = Assignment.objects.filter(of_employees).exclude(status__in=Assignment.CLOSED_STATUSES)
    live = live.filter(
        Q(course_id__in=[course.pk for course in course_list])
        | Q(policy_version__policy_id__in=[policy.pk for policy in policy_list])
    ).select_related("policy_version")
    by_course: dict[tuple, list[Assignment]] = defaultdict(list)
    by_policy: dict[tuple, list[Assignment]] = defaultdict(list)
    for assignment in live:
        if assignment.course_id:
            by_course[(assignment.employee_id, assignment.course_id)].append(assignment)
        else:
            by_policy[(assignment.employee_id, assignment.policy_version.policy_id)].append(assignment)
    cycles = {
        (row["employee_id"], row["course_id"]): row["last"]
        for row in Assignment.objects.filter(of_employees, course_id__in=[c.pk for c in course_list])
        .values("employee_id", "course_id")
        .annotate(last=Max("cycle"))
    }
    acknowledged_before = set(
        Assignment.objects.filter(of_employees, policy_version__policy_id__in=[p.pk for p in policy_list])
        .values_list("employee_id", "policy_version__policy_id")
        .distinct()
    )

    for employee in employee_list:
        for course in course_list:
            _reconcile_course(plan, employee, course, by_course.get((employee.pk, course.pk), []), cycles, reason, today)
        for policy in policy_list:
            _reconcile_policy(
                plan, employee, policy, versions.get(policy.pk), by_policy.get((employee.pk, policy.pk), []),
                (employee.pk, policy.pk) in acknowledged_before, reason, today,
            )
    return plan.write()


def _satisfied_and_lapsing(plan: _Plan, rows: list[Assignment]) -> list[Assignment]:
    """Queue the lapse of completions and waivers past their validity; return those still valid."""
    valid = []
    for row in rows:
        if row.status not in Assignment.SATISFIED_STATUSES:
            continue
        if row.expires_at is not None and row.expires_at <= plan.now:
            plan.expire["The completion's validity ended."].append(row.pk)
        else:
            valid.append(row)
    return valid


def _keep_status(plan: _Plan, row: Assignment) -> None:
    status = open_status(row.due_at, plan.now)
    if status != row.status:
        plan.status[status].append(row.pk)


def _reconcile_course(plan, employee, course, rows, cycles, reason, today) -> None:
    open_rows = [row for row in rows if row.status in Assignment.OPEN_STATUSES]
    valid = _satisfied_and_lapsing(plan, rows)
    required = in_audience(course, employee)
    for row in open_rows:
        if not required:
            why = "The employee left the organisation." if not employee.active else "No longer required for this employee."
            plan.cancel[why if course.active else "The course was retired."].append(row.pk)
        else:
            _keep_status(plan, row)
    if not required or open_rows:
        return
    last_cycle = cycles.get((employee.pk, course.pk), 0)
    if valid:
        latest = max(valid, key=lambda row: (row.expires_at is None, row.expires_at or plan.now))
        if latest.expires_at is None:
            return
        if plan.now < latest.expires_at - timedelta(days=settings.TRAINING_RENEWAL_NOTICE_DAYS):
            return
        plan.add(employee=employee, course=course, cycle=last_cycle + 1, reason=Reason.RENEWAL, due_at=latest.expires_at)
        return
    if last_cycle:
        why = Reason.RENEWAL
    elif reason in NEW_STARTER_TRIGGERS and _is_new_starter(employee, course.grace_days, today):
        why = Reason.HIRE
    else:
        why = reason
    due = first_due(employee=employee, grace_days=course.grace_days, available_from=employee.start_date, today=today)
    plan.add(employee=employee, course=course, cycle=last_cycle + 1, reason=why, due_at=due)


def _reconcile_policy(plan, employee, policy, version, rows, acknowledged_before, reason, today) -> None:
    required = version is not None and in_audience(policy, employee)
    current = [row for row in rows if version is not None and row.policy_version_id == version.pk]
    for row in rows:
        if row in current and required:
            if row.status in Assignment.OPEN_STATUSES:
                _keep_status(plan, row)
            continue
        if row.status in Assignment.OPEN_STATUSES:
            if not required:
                plan.cancel["No longer required for this employee."].append(row.pk)
            else:
                plan.cancel[f"Superseded by version {version.version}."].append(row.pk)
        elif row.policy_version_id != getattr(version, "pk", None) and version is not None:
            # An acknowledgement of an older version no longer counts once a new one is in force.
            plan.expire[f"Superseded by version {version.version}."].append(row.pk)
        elif row.expires_at is not None and row.expires_at <= plan.now:
            plan.expire["The waiver's validity ended."].append(row.pk)
    if not required or current:
        return
    if acknowledged_before:
        why = Reason.POLICY_VERSION
    elif reason in NEW_STARTER_TRIGGERS and _is_new_starter(employee, policy.grace_days, today):
        why = Reason.HIRE
    else:
        why = reason
    due = first_due(employee=employee, grace_days=policy.grace_days, available_from=version.effective_date, today=today)
    plan.add(employee=employee, policy_version=version, reason=why, due_at=due)


@transaction.atomic
def sync_assignments(*, now: datetime | None = None) -> SyncResult:
    """Run the rules over the whole roster and catalogue (nightly): assign, renew, lapse, cancel, set statuses.

    Idempotent: a second run at the same time changes nothing. Records one
    ``training.assignments_synced`` event with the counts when anything changed.
    """
    now = now or timezone.now()
    result = reconcile(now=now, reason=Reason.SCHEDULED)
    if result.changed:
        record_event(actor=SYNC_ACTOR, action="training.assignments_synced", data=result.as_dict())
    return result
