"""xAPI statements from the LMS: ``completed`` or ``passed`` an activity mapped to a course.

A statement is matched by its actor's ``mbox`` (through the work email's blind
index) and its ``object.id`` (a course's ``xapi_activity_id``); its score
(``result.score.scaled``, or ``raw`` within ``min``/``max``, or a ``raw``
percentage) must reach the course's passing score. Every statement with a
valid id is stored, accepted or rejected with the reason, without the actor's
mailbox, name or account; its id makes a resubmission idempotent.
"""

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from compliance.audit.services import record_event
from compliance.crypto.blind_index import NormalisationError, blind_index, blind_index_candidates
from compliance.staff_training.models import Completion, Course, Employee, XapiStatement
from compliance.staff_training.services.completions import check_score, record_completion
from compliance.staff_training.services.errors import TrainingActionRefused

VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_PASSED = "http://adlnet.gov/expapi/verbs/passed"
ACCEPTED_VERBS = (VERB_COMPLETED, VERB_PASSED)
Problem = XapiStatement.Problem


class MalformedStatement(Exception):
    """The request is not a statement Custos can even store (no JSON object, no valid id)."""


class _Rejected(Exception):
    def __init__(self, problem: str, reason: str):
        super().__init__(reason)
        self.problem = problem
        self.reason = reason


@dataclass(frozen=True)
class StatementResult:
    """The stored statement, and whether it had been received before (an idempotent resubmission)."""

    statement: XapiStatement
    duplicate: bool

    @property
    def accepted(self) -> bool:
        return self.statement.status == XapiStatement.Status.ACCEPTED


def without_personal_data(payload: dict) -> dict:
    """Return the statement without the people in it: actor, authority, and the context's instructor and team."""
    stripped = copy.deepcopy(payload)
    stripped.pop("actor", None)
    stripped.pop("authority", None)
    context = stripped.get("context")
    if isinstance(context, dict):
        context.pop("instructor", None)
        context.pop("team", None)
    return stripped


def statement_score(result) -> Decimal | None:
    """Return the statement's score as a percentage, or None when it has none."""
    if result is None:
        return None
    if not isinstance(result, dict):
        raise _Rejected(Problem.MALFORMED, "result must be an object.")
    score = result.get("score")
    if score is None:
        return None
    if not isinstance(score, dict):
        raise _Rejected(Problem.MALFORMED, "result.score must be an object.")

    def number(key):
        value = score.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _Rejected(Problem.MALFORMED, f"result.score.{key} must be a number.")
        try:
            parsed = Decimal(str(value))
        except InvalidOperation:
            raise _Rejected(Problem.MALFORMED, f"result.score.{key} must be a number.") from None
        if not parsed.is_finite():
            raise _Rejected(Problem.MALFORMED, f"result.score.{key} must be a number.")
        return parsed

    scaled, raw, low, high = number("scaled"), number("raw"), number("min"), number("max")
    if scaled is not None:
        if not -1 <= scaled <= 1:
            raise _Rejected(Problem.MALFORMED, "result.score.scaled must be between -1 and 1.")
        percent = max(scaled, Decimal(0)) * 100
    elif raw is not None:
        if low is not None and high is not None:
            if high <= low or not low <= raw <= high:
                raise _Rejected(Problem.MALFORMED, "result.score.raw must lie between result.score.min and max.")
            percent = (raw - low) / (high - low) * 100
        elif 0 <= raw <= 100:
            percent = raw
        else:
            raise _Rejected(Problem.MALFORMED, "result.score.raw without min and max must be a percentage (0–100).")
    else:
        return None
    return percent.quantize(Decimal("0.01"))


def _mailbox(actor) -> str:
    if not isinstance(actor, dict) or not isinstance(actor.get("mbox"), str):
        raise _Rejected(Problem.MALFORMED, "actor.mbox is required, as mailto:name@example.com.")
    mbox = actor["mbox"].strip()
    if not mbox.lower().startswith("mailto:"):
        raise _Rejected(Problem.MALFORMED, "actor.mbox must start with mailto:.")
    return mbox[len("mailto:"):]


def _timestamp(value) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Rejected(Problem.MALFORMED, "timestamp must be an ISO 8601 date-time such as 2026-03-31T14:05:00Z.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def statement_id(payload) -> uuid.UUID:
    """Return the statement's id, or raise MalformedStatement saying what is wrong."""
    if isinstance(payload, list):
        raise MalformedStatement("Send one statement per request, as a JSON object, not a list.")
    if not isinstance(payload, dict):
        raise MalformedStatement("The body must be one xAPI statement as a JSON object.")
    value = payload.get("id")
    if not value:
        raise MalformedStatement("The statement needs an id (a UUID), so that sending it again is harmless.")
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise MalformedStatement(f"The statement id {str(value)[:60]!r} is not a UUID.") from None


def _evaluate(payload: dict, statement: XapiStatement, now: datetime) -> None:
    """Fill in the statement and record its completion; raise _Rejected with the reason."""
    email = _mailbox(payload.get("actor"))
    try:
        statement.actor_index = blind_index(email, "email")
        candidates = blind_index_candidates(email, "email")
    except NormalisationError:
        raise _Rejected(Problem.MALFORMED, "actor.mbox is not an email address.") from None
    verb = payload.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    if not isinstance(verb_id, str):
        raise _Rejected(Problem.MALFORMED, "verb.id is required.")
    statement.verb = verb_id[:300]
    target = payload.get("object")
    activity = target.get("id") if isinstance(target, dict) else None
    if not isinstance(activity, str) or not activity:
        raise _Rejected(Problem.MALFORMED, "object.id (the activity id) is required.")
    statement.activity_id = activity[:500]
    score = statement_score(payload.get("result"))
    statement.score = score
    completed_at = _timestamp(payload.get("timestamp")) or now
    if verb_id not in ACCEPTED_VERBS:
        raise _Rejected(
            Problem.UNSUPPORTED_VERB, f"The verb {verb_id[:100]} is not accepted; send {VERB_COMPLETED} or {VERB_PASSED}."
        )
    employee = Employee.objects.filter(email_index__in=candidates, active=True).first()
    if employee is None:
        raise _Rejected(Problem.UNKNOWN_ACTOR, "No active employee has the actor's mbox as their work email.")
    statement.employee = employee
    course = Course.objects.filter(xapi_activity_id=activity).first()
    if course is None:
        raise _Rejected(Problem.UNKNOWN_ACTIVITY, f"No course has the xAPI activity id {activity[:200]}.")
    statement.course = course
    result = payload.get("result") or {}
    if result.get("success") is False:
        raise _Rejected(Problem.FAILING_SCORE, "The statement says the attempt did not succeed (result.success is false).")
    failure = check_score(course, score)
    if failure:
        raise _Rejected(Problem.FAILING_SCORE, failure)
    statement.status = XapiStatement.Status.ACCEPTED
    statement.save()
    try:
        with transaction.atomic():
            record_completion(
                employee=employee,
                course=course,
                completed_at=completed_at,
                source=Completion.Source.XAPI,
                score=score,
                statement=statement,
                now=now,
            )
    except TrainingActionRefused as exc:
        # A timestamp in the future is a bad field (400); the same completion twice is not "not assigned".
        problem = {"future": Problem.MALFORMED, "already_recorded": Problem.ALREADY_RECORDED}.get(exc.code, Problem.NOT_ASSIGNED)
        raise _Rejected(problem, str(exc)[:300]) from None


@transaction.atomic
def receive_statement(*, api_key, payload) -> StatementResult:
    """Store an xAPI statement, record the completion it proves, and return it with whether it was a resubmission.

    Raise ``MalformedStatement`` when it cannot be stored at all. A statement
    that is stored but refused comes back with status ``rejected``, its
    ``problem`` and ``reason``; the caller answers it with a 4xx.
    """
    identifier = statement_id(payload)
    existing = XapiStatement.objects.filter(statement_id=identifier).first()
    if existing is not None:
        return StatementResult(existing, duplicate=True)
    now = timezone.now()
    statement = XapiStatement(
        statement_id=identifier, raw=without_personal_data(payload), api_key=api_key, received_at=now
    )
    try:
        with transaction.atomic():
            try:
                _evaluate(payload, statement, now)
            except _Rejected as exc:
                statement.status = XapiStatement.Status.REJECTED
                statement.problem = exc.problem
                statement.reason = exc.reason[:300]
                statement.save()
    except IntegrityError:
        # The same id arriving twice at once: the other request stored it.
        existing = XapiStatement.objects.filter(statement_id=identifier).first()
        if existing is None:
            raise
        return StatementResult(existing, duplicate=True)
    record_event(
        actor=api_key,
        action="training.statement_accepted" if statement.status == XapiStatement.Status.ACCEPTED else "training.statement_rejected",
        target=statement,
        data={
            "statement": str(identifier),
            "verb": statement.verb,
            "course": statement.course.code if statement.course_id else None,
            "employee": statement.employee.employee_number if statement.employee_id else None,
            "problem": statement.problem,
            "reason": statement.reason,
        },
    )
    return StatementResult(statement, duplicate=False)
