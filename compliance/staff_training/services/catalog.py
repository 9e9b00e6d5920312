"""Writes to the catalogue: courses, policies and their versions. Audience changes re-run the rules."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.services import record_event
from compliance.staff_training.models import Assignment, Course, Policy, PolicyVersion
from compliance.staff_training.services.errors import TrainingActionRefused
from compliance.staff_training.services.rules import reconcile

AUDIENCE_FIELDS = ("audience_departments", "audience_job_roles", "audience_roles")
COURSE_FIELDS = (
    "title",
    "description",
    "control_codes",
    "requirement_refs",
    *AUDIENCE_FIELDS,
    "valid_days",
    "grace_days",
    "passing_score",
    "proof_kind",
    "xapi_activity_id",
    "active",
)


def _names(values) -> list[str]:
    """Return the non-empty, stripped, de-duplicated names of ``values`` in their order."""
    seen: list[str] = []
    for value in values or ():
        value = str(value).strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _check_roles(roles: list[str]) -> None:
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise TrainingActionRefused(f"Unknown Custos role {unknown[0]!r}; use one of: {', '.join(Role.values)}.")


def _clean_course(course: Course) -> None:
    for name in AUDIENCE_FIELDS + ("control_codes", "requirement_refs"):
        setattr(course, name, _names(getattr(course, name)))
    _check_roles(course.audience_roles)
    if course.passing_score is not None:
        try:
            course.passing_score = Decimal(str(course.passing_score))
        except InvalidOperation:
            raise TrainingActionRefused(f"The passing score {course.passing_score!r} is not a number.") from None
        if not 0 <= course.passing_score <= 100:
            raise TrainingActionRefused("The passing score is a percentage between 0 and 100.")
    if course.valid_days is not None and course.valid_days <= 0:
        raise TrainingActionRefused("A course is valid for at least one day; leave it empty for a once-only course.")
    course.xapi_activity_id = (course.xapi_activity_id or "").strip() or None
    try:
        course.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise TrainingActionRefused(f"{field.replace('_', ' ').capitalize()}: {messages[0]}") from None


def _save(instance, what: str) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise TrainingActionRefused(f"Another {what} already uses this code or xAPI activity id.") from None


@transaction.atomic
def create_course(
    *,
    actor,
    code: str,
    title: str,
    description: str = "",
    control_codes=(),
    requirement_refs=(),
    audience_departments=(),
    audience_job_roles=(),
    audience_roles=(),
    valid_days: int | None = None,
    grace_days: int = 30,
    passing_score: Decimal | None = None,
    proof_kind: str = Course.ProofKind.LMS_RECORD,
    xapi_activity_id: str | None = None,
) -> Course:
    """Create a course and assign it to everyone in its audience."""
    course = Course(
        code=(code or "").strip(),
        title=(title or "").strip(),
        description=description,
        control_codes=list(control_codes),
        requirement_refs=list(requirement_refs),
        audience_departments=list(audience_departments),
        audience_job_roles=list(audience_job_roles),
        audience_roles=list(audience_roles),
        valid_days=valid_days,
        grace_days=grace_days,
        passing_score=passing_score,
        proof_kind=proof_kind,
        xapi_activity_id=xapi_activity_id,
    )
    _clean_course(course)
    _save(course, "course")
    result = reconcile(now=timezone.now(), reason=Assignment.Reason.AUDIENCE_CHANGE, courses=Course.objects.filter(pk=course.pk), policies=Policy.objects.none())
    record_event(
        actor=actor,
        action="training.course_created",
        target=course,
        data={"code": course.code, "audience": course.audience_display, "assigned": result.created},
    )
    return course


@transaction.atomic
def update_course(*, actor, course: Course, **fields) -> Course:
    """Change a course's fields (the code stays); a change of audience or activity re-runs the rules for it."""
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"update_course() got unexpected fields: {', '.join(sorted(unknown))}")
    course = Course.objects.select_for_update().get(pk=course.pk)
    before = {name: getattr(course, name) for name in COURSE_FIELDS}
    for name, value in fields.items():
        setattr(course, name, list(value) if name in AUDIENCE_FIELDS + ("control_codes", "requirement_refs") else value)
    _clean_course(course)
    changed = sorted(name for name in COURSE_FIELDS if getattr(course, name) != before[name])
    if not changed:
        return course
    _save(course, "course")
    data = {"code": course.code, "changed": changed}
    if set(changed) & {*AUDIENCE_FIELDS, "active", "grace_days"}:
        result = reconcile(
            now=timezone.now(),
            reason=Assignment.Reason.AUDIENCE_CHANGE,
            courses=Course.objects.filter(pk=course.pk),
            policies=Policy.objects.none(),
        )
        data.update(audience=course.audience_display, rules=result.as_dict())
    record_event(actor=actor, action="training.course_updated", target=course, data=data)
    return course


@transaction.atomic
def create_policy(
    *,
    actor,
    code: str,
    title: str,
    audience_departments=(),
    audience_job_roles=(),
    audience_roles=(),
    grace_days: int = 30,
) -> Policy:
    """Create a policy; nothing is assigned until one of its versions takes effect."""
    policy = Policy(
        code=(code or "").strip(),
        title=(title or "").strip(),
        audience_departments=_names(audience_departments),
        audience_job_roles=_names(audience_job_roles),
        audience_roles=_names(audience_roles),
        grace_days=grace_days,
    )
    _check_roles(policy.audience_roles)
    if not policy.code or not policy.title:
        raise TrainingActionRefused("A policy needs a code and a title.")
    _save(policy, "policy")
    record_event(actor=actor, action="training.policy_created", target=policy, data={"code": policy.code})
    return policy


@transaction.atomic
def add_policy_version(
    *, actor, policy: Policy, version: str, effective_date: date, text: str = "", file=None
) -> PolicyVersion:
    """Add a version of a policy; from its effective date everyone in scope must acknowledge it.

    A version effective today or earlier is assigned at once (and supersedes the
    previous version's open acknowledgements); a later one on the night it takes effect.
    """
    version = (version or "").strip()
    if not version:
        raise TrainingActionRefused("Name the version, for example 2.0.")
    if not (text or "").strip() and not file:
        raise TrainingActionRefused("Give the policy's text or upload its file.")
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if policy.versions.filter(version=version).exists():
        raise TrainingActionRefused(f"{policy.title} already has a version {version}.")
    if policy.versions.filter(effective_date=effective_date).exists():
        raise TrainingActionRefused(f"{policy.title} already has a version taking effect on {effective_date:%d %B %Y}.")
    policy_version = PolicyVersion(policy=policy, version=version, effective_date=effective_date, text=text or "")
    if file:
        policy_version.file = file
    policy_version.save()
    now = timezone.now()
    data = {"policy": policy.code, "version": version, "effective_date": effective_date.isoformat()}
    if effective_date <= timezone.localdate(now):
        result = reconcile(
            now=now, reason=Assignment.Reason.POLICY_VERSION, courses=Course.objects.none(), policies=Policy.objects.filter(pk=policy.pk)
        )
        data["rules"] = result.as_dict()
    record_event(actor=actor, action="training.policy_version_added", target=policy_version, data=data)
    return policy_version
