"""The LMS completions import: a CSV of who completed which course when, with a report per row.

Columns (docs/training.md): ``course_code``, ``completed_at``, and ``employee_email``
or ``employee_id`` (either identifies the person); ``score`` (a percentage)
optional. Each row is *matched* (recorded, or already recorded by an earlier
import), *unmatched* (no such employee or course) or *rejected* (malformed, a
failing score, not assigned) with the reason. The preview runs exactly what
applying would, inside a transaction it rolls back.
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.crypto.blind_index import NormalisationError, blind_index_candidates
from compliance.staff_training.models import Completion, Course, Employee, LmsImport
from compliance.staff_training.services import csv_input
from compliance.staff_training.services.completions import record_completion
from compliance.staff_training.services.errors import TrainingActionRefused

REQUIRED_COLUMNS = ("course_code", "completed_at")
MATCHED, UNMATCHED, REJECTED = "matched", "unmatched", "rejected"


@dataclass(frozen=True)
class LmsRow:
    """The outcome of one row: matched, unmatched or rejected, and why."""

    line: int
    outcome: str
    message: str
    employee_number: str = ""
    course_code: str = ""


@dataclass
class LmsReport:
    """Every row's outcome, and the counts."""

    rows: list[LmsRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def matched(self) -> int:
        return self.count(MATCHED)

    @property
    def unmatched(self) -> int:
        return self.count(UNMATCHED)

    @property
    def rejected(self) -> int:
        return self.count(REJECTED)


def parse_score(value: str) -> Decimal | None:
    """Parse a percentage such as ``85``, ``85.5`` or ``85%``; empty means no score."""
    value = value.strip().rstrip("%").strip()
    if not value:
        return None
    try:
        score = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"score {value!r} is not a number.") from None
    if not score.is_finite() or not 0 <= score <= 100:
        raise ValueError(f"score {value} is not a percentage between 0 and 100.")
    return score.quantize(Decimal("0.01"))


def _employees(entries) -> tuple[dict[str, Employee], dict[str, Employee]]:
    """Load the employees the file names, by blind index and by employee id, in two queries."""
    candidates: dict[str, str] = {}
    for _, raw in entries:
        email = raw.get("employee_email", "")
        if email:
            try:
                for index in blind_index_candidates(email, "email"):
                    candidates[index] = email.strip().lower()
            except NormalisationError:
                pass
    by_email = {}
    for employee in Employee.objects.filter(email_index__in=list(candidates)):
        by_email[candidates[employee.email_index]] = employee
    numbers = [raw.get("employee_id", "") for _, raw in entries if raw.get("employee_id")]
    by_number = {employee.employee_number: employee for employee in Employee.objects.filter(employee_number__in=numbers)}
    return by_email, by_number


def _process(*, content: bytes | str, lms_import: LmsImport | None, actor) -> LmsReport:
    entries = list(csv_input.rows(content, required=REQUIRED_COLUMNS))
    by_email, by_number = _employees(entries)
    courses = {course.code: course for course in Course.objects.filter(code__in={raw.get("course_code", "") for _, raw in entries})}
    report = LmsReport()
    now = timezone.now()
    for line, raw in entries:
        code = raw.get("course_code", "")
        email, number = raw.get("employee_email", ""), raw.get("employee_id", "")
        try:
            if not code:
                raise ValueError("course_code is empty.")
            if not email and not number:
                raise ValueError("Give employee_email or employee_id.")
            completed_at = csv_input.cell_datetime(raw.get("completed_at", ""), "completed_at")
            score = parse_score(raw.get("score", ""))
        except ValueError as exc:
            report.rows.append(LmsRow(line, REJECTED, str(exc), number, code))
            continue
        employee = by_number.get(number) if number else by_email.get(email.lower())
        if employee is None:
            what = f"employee_id {number}" if number else "this email"
            report.rows.append(LmsRow(line, UNMATCHED, f"No employee has {what}.", number, code))
            continue
        course = courses.get(code)
        if course is None:
            report.rows.append(LmsRow(line, UNMATCHED, f"No course has the code {code!r}.", employee.employee_number, code))
            continue
        if Completion.objects.filter(employee=employee, course=course, completed_at=completed_at).exists():
            report.rows.append(LmsRow(line, MATCHED, "Already recorded.", employee.employee_number, code))
            continue
        try:
            with transaction.atomic():
                record_completion(
                    employee=employee,
                    course=course,
                    completed_at=completed_at,
                    source=Completion.Source.LMS_CSV,
                    score=score,
                    recorded_by=actor if hasattr(actor, "get_username") else None,
                    lms_import=lms_import,
                    now=now,
                )
        except TrainingActionRefused as exc:
            report.rows.append(LmsRow(line, REJECTED, str(exc), employee.employee_number, code))
            continue
        report.rows.append(LmsRow(line, MATCHED, "Recorded.", employee.employee_number, code))
    return report


def preview_lms_import(*, content: bytes | str) -> LmsReport:
    """Return what importing ``content`` would do, row by row; nothing is kept."""
    with transaction.atomic():
        report = _process(content=content, lms_import=None, actor=None)
        transaction.set_rollback(True)
    return LmsReport(rows=[row if row.message != "Recorded." else LmsRow(row.line, MATCHED, "Will be recorded.", row.employee_number, row.course_code) for row in report.rows])


@transaction.atomic
def apply_lms_import(*, actor, content: bytes | str, filename: str = "") -> LmsImport:
    """Record the file's completions, keep the report of every row, and return the run.

    Rows already recorded (the same employee, course and time) count as matched
    and add nothing, so importing the same file again is harmless.
    """
    raw = content.encode("utf-8") if isinstance(content, str) else content
    run = LmsImport.objects.create(
        actor=actor if hasattr(actor, "get_username") else None, filename=filename[:255], sha256=hashlib.sha256(raw).hexdigest()
    )
    report = _process(content=content, lms_import=run, actor=actor)
    run.report = [
        {"line": row.line, "outcome": row.outcome, "employee": row.employee_number, "course": row.course_code, "message": row.message}
        for row in report.rows
    ]
    run.matched_count, run.unmatched_count, run.rejected_count = report.matched, report.unmatched, report.rejected
    run.save(update_fields=["report", "matched_count", "unmatched_count", "rejected_count"])
    record_event(
        actor=actor,
        action="training.lms_imported",
        target=run,
        data={"filename": filename, "matched": report.matched, "unmatched": report.unmatched, "rejected": report.rejected},
    )
    return run
