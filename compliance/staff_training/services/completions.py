"""Recording completions: by a manager with evidence, by the employee acknowledging a policy, and waivers.

Imports (LMS CSV) and xAPI statements record theirs through ``record_completion``
here too, so every source completes an assignment the same way.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.staff_training.models import Assignment, Completion, Course, Employee
from compliance.staff_training.services.clock import expiry_after, open_status
from compliance.staff_training.services.errors import TrainingActionRefused
from compliance.staff_training.services.rules import in_audience

Status = Assignment.Status


def _completion_expiry(assignment: Assignment, completed_at: datetime) -> datetime | None:
    return expiry_after(completed_at, assignment.course.valid_days) if assignment.course_id else None


def _complete(assignment: Assignment, *, completed_at: datetime, now: datetime) -> None:
    assignment.status = Status.COMPLETED
    assignment.completed_at = completed_at
    assignment.expires_at = _completion_expiry(assignment, completed_at)
    assignment.status_changed_at = now
    assignment.save(update_fields=["status", "completed_at", "expires_at", "status_changed_at"])


def percent(value: Decimal) -> str:
    """Return a percentage as people write it: ``80%``, ``82.5%``."""
    return f"{Decimal(value).normalize():f}%"


def check_score(course: Course, score: Decimal | None) -> str | None:
    """Return why ``score`` does not pass ``course``, or None when it does (or none is needed)."""
    if course.passing_score is None:
        return None
    if score is None:
        return f"{course.code} needs a score of at least {percent(course.passing_score)} and none was given."
    if score < course.passing_score:
        return f"A score of {percent(score)} is below {course.code}'s passing score of {percent(course.passing_score)}."
    return None


def record_completion(
    *,
    employee: Employee,
    course: Course,
    completed_at: datetime,
    source: str,
    score: Decimal | None = None,
    recorded_by=None,
    evidence_note: str | None = None,
    lms_import=None,
    statement=None,
    now: datetime | None = None,
) -> Completion:
    """Complete the employee's open assignment of ``course`` (or a new cycle when none is open) and return the completion.

    The caller holds the transaction and records the audit event. Refused when
    the employee is not required to take the course and has nothing open, when
    the score fails, or when the completion is in the future.
    """
    now = now or timezone.now()
    if completed_at > now + timedelta(minutes=5):
        raise TrainingActionRefused(f"The completion time {completed_at:%Y-%m-%d %H:%M} is in the future.", code="future")
    failure = check_score(course, score)
    if failure:
        raise TrainingActionRefused(failure)
    if Completion.objects.filter(employee=employee, course=course, completed_at=completed_at).exists():
        raise TrainingActionRefused(
            f"This completion of {course.code} by employee {employee.employee_number} is already recorded.",
            code="already_recorded",
        )
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("course")
        .filter(employee=employee, course=course, status__in=Assignment.OPEN_STATUSES)
        .first()
    )
    if assignment is None:
        if not in_audience(course, employee):
            raise TrainingActionRefused(
                f"Employee {employee.employee_number} is not required to take {course.code} and has no assignment of it."
            )
        # Completed again while the last completion is still valid (or before the rules assigned it): a new cycle.
        last = Assignment.objects.filter(employee=employee, course=course).order_by("-cycle").first()
        assignment = Assignment.objects.create(
            employee=employee,
            course=course,
            cycle=(last.cycle + 1) if last else 1,
            reason=Assignment.Reason.EARLY_COMPLETION,
            due_at=completed_at,
            assigned_at=now,
            status=open_status(completed_at, now),
        )
    _complete(assignment, completed_at=completed_at, now=now)
    return Completion.objects.create(
        assignment=assignment,
        employee=employee,
        course=course,
        source=source,
        score=score,
        completed_at=completed_at,
        recorded_at=now,
        recorded_by=recorded_by,
        evidence_note=evidence_note or None,
        lms_import=lms_import,
        statement=statement,
    )


def may_record_for(*, user, employee: Employee) -> bool:
    """Whether ``user`` may record a completion for ``employee``: a training manager, or their direct manager."""
    if user.has_perm("staff_training.add_completion"):
        return True
    manager = employee.manager
    return manager is not None and manager.user_id is not None and manager.user_id == user.pk


@transaction.atomic
def record_manager_completion(
    *, actor, assignment: Assignment, completed_at: datetime, evidence_note: str, score: Decimal | None = None
) -> Completion:
    """Record, as the employee's manager (or a training manager), that a course was completed, with the evidence."""
    assignment = Assignment.objects.select_related("employee__manager", "course").get(pk=assignment.pk)
    if not may_record_for(user=actor, employee=assignment.employee):
        raise TrainingActionRefused("Only the employee's manager or a compliance manager can record their training.")
    if assignment.course_id is None:
        raise TrainingActionRefused("A policy is acknowledged by the employee themselves, not recorded by a manager.")
    if assignment.status not in Assignment.OPEN_STATUSES:
        raise TrainingActionRefused(
            f"This assignment is {assignment.get_status_display().lower()}; only an open assignment can be completed."
        )
    evidence_note = (evidence_note or "").strip()
    if not evidence_note:
        raise TrainingActionRefused("Say what the evidence is (for example “certificate seen, LMS export of 3 May”).")
    if assignment.employee.user_id is not None and assignment.employee.user_id == actor.pk:
        raise TrainingActionRefused("You cannot record your own training; your manager or a compliance manager can.")
    completion = record_completion(
        employee=assignment.employee,
        course=assignment.course,
        completed_at=completed_at,
        source=Completion.Source.MANAGER,
        score=score,
        recorded_by=actor,
        evidence_note=evidence_note,
    )
    record_event(
        actor=actor,
        action="training.completion_recorded",
        target=completion,
        data={
            "assignment": completion.assignment_id,
            "employee": assignment.employee.employee_number,
            "course": assignment.course.code,
            "source": completion.source,
            "score": str(score) if score is not None else None,
            "completed_at": completed_at.isoformat(),
        },
    )
    return completion


@transaction.atomic
def acknowledge_policy(*, actor, assignment: Assignment) -> Completion:
    """Record that the signed-in employee read and acknowledged the policy version of their assignment, now."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("employee", "policy_version__policy")
        .get(pk=assignment.pk)
    )
    if assignment.employee.user_id != actor.pk:
        raise TrainingActionRefused("Only the employee themselves can acknowledge a policy.")
    if assignment.policy_version_id is None:
        raise TrainingActionRefused("This assignment is a course, not a policy to acknowledge.")
    version = assignment.policy_version
    if assignment.status == Status.COMPLETED:
        raise TrainingActionRefused(
            f"You already acknowledged {version.policy.title} version {version.version} "
            f"on {timezone.localtime(assignment.completed_at):%d %B %Y}."
        )
    if assignment.status not in Assignment.OPEN_STATUSES:
        raise TrainingActionRefused(
            f"This acknowledgement is {assignment.get_status_display().lower()}: nothing to acknowledge."
        )
    now = timezone.now()
    _complete(assignment, completed_at=now, now=now)
    completion = Completion.objects.create(
        assignment=assignment,
        employee=assignment.employee,
        policy_version=version,
        source=Completion.Source.SELF_ATTESTATION,
        completed_at=now,
        recorded_at=now,
        recorded_by=actor,
    )
    record_event(
        actor=actor,
        action="training.policy_acknowledged",
        target=completion,
        data={
            "assignment": assignment.pk,
            "employee": assignment.employee.employee_number,
            "policy": version.policy.code,
            "version": version.version,
            "acknowledged_at": now.isoformat(),
        },
    )
    return completion


@transaction.atomic
def waive_assignment(*, actor, assignment: Assignment, reason: str) -> Assignment:
    """Waive an open assignment with the reason; the actor is the approver. A recurring course's waiver lapses like a completion."""
    if not actor.has_perm("staff_training.waive_assignment"):
        raise TrainingActionRefused("Only a compliance manager can waive training.")
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("employee", "course", "policy_version__policy")
        .get(pk=assignment.pk)
    )
    reason = (reason or "").strip()
    if not reason:
        raise TrainingActionRefused("Give the reason for the waiver (it is kept with the assignment and shown to auditors).")
    if assignment.status not in Assignment.OPEN_STATUSES:
        raise TrainingActionRefused(
            f"This assignment is {assignment.get_status_display().lower()}; only an open assignment can be waived."
        )
    now = timezone.now()
    assignment.status = Status.WAIVED
    assignment.waiver_reason = reason
    assignment.waived_by = actor
    assignment.waived_at = now
    assignment.expires_at = _completion_expiry(assignment, now)
    assignment.status_changed_at = now
    assignment.save(update_fields=["status", "waiver_reason", "waived_by", "waived_at", "expires_at", "status_changed_at"])
    record_event(
        actor=actor,
        action="training.assignment_waived",
        target=assignment,
        data={
            "employee": assignment.employee.employee_number,
            "requirement": assignment.course.code if assignment.course_id else assignment.policy_version.policy.code,
            "reason": reason,
        },
    )
    return assignment
