"""The HR roster import: preview what a CSV would change, then apply it in one transaction.

Columns (docs/training.md): ``employee_id, name, email, department, job_role,
start_date`` required; ``manager_id, end_date`` optional; other columns are
ignored. A full import deactivates active employees the file does not list; a
partial one (``partial=True``) only adds and updates. Applying the same file
twice changes nothing the second time. Custos users are linked to employees by
email (case-insensitive) when the employee has no linked user yet. New starters
and changes of department or role go through the assignment rules at once.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.crypto.blind_index import NormalisationError, normalise_email
from compliance.staff_training.models import Assignment, Employee, RosterImport
from compliance.staff_training.services import csv_input
from compliance.staff_training.services.errors import TrainingActionRefused
from compliance.staff_training.services.rules import reconcile

REQUIRED_COLUMNS = ("employee_id", "name", "email", "department", "job_role", "start_date")
OPTIONAL_COLUMNS = ("manager_id", "end_date")
COMPARED = ("name", "email", "department", "job_role", "manager", "start_date", "end_date", "active")
# Fields whose change re-runs the assignment rules for the employee.
AUDIENCE_FIELDS = {"department", "job_role", "active"}


@dataclass(frozen=True)
class RowError:
    """A row the import cannot use, by its line in the file (the header is line 1)."""

    line: int
    message: str


@dataclass
class RosterRow:
    """One employee as the file describes them."""

    line: int
    employee_number: str
    name: str
    email: str
    department: str
    job_role: str
    manager_number: str
    start_date: date
    end_date: date | None

    @property
    def active(self) -> bool:
        return self.end_date is None or self.end_date >= timezone.localdate()


@dataclass
class RosterChange:
    """An existing employee the file changes: field name -> (before, after)."""

    employee: Employee
    row: RosterRow
    changes: dict[str, tuple]

    @property
    def line(self) -> int:
        return self.row.line


@dataclass
class RosterPreview:
    """What applying the file would do; nothing is written."""

    partial: bool
    creates: list[RosterRow] = field(default_factory=list)
    updates: list[RosterChange] = field(default_factory=list)
    deactivations: list[Employee] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def rows(self) -> int:
        return len(self.creates) + len(self.updates) + self.unchanged + len(self.errors)


def _parse(line: int, raw: dict[str, str]) -> RosterRow:
    number = raw.get("employee_id", "")
    if not number:
        raise ValueError("employee_id is empty.")
    if len(number) > 64:
        raise ValueError("employee_id is longer than 64 characters.")
    name = raw.get("name", "")
    if not name:
        raise ValueError("name is empty.")
    try:
        email = normalise_email(raw.get("email", ""))
    except NormalisationError:
        raise ValueError(f"email {raw.get('email', '')!r} is not an email address.") from None
    for column in ("department", "job_role"):
        if not raw.get(column):
            raise ValueError(f"{column} is empty.")
        if len(raw[column]) > 100:
            raise ValueError(f"{column} is longer than 100 characters.")
    start = csv_input.cell_date(raw.get("start_date", ""), "start_date")
    end = csv_input.cell_date(raw["end_date"], "end_date") if raw.get("end_date") else None
    if end is not None and end < start:
        raise ValueError(f"end_date {end} is before start_date {start}.")
    manager = raw.get("manager_id", "")
    if manager == number:
        raise ValueError("manager_id is the employee themselves.")
    return RosterRow(line, number, name, email, raw["department"], raw["job_role"], manager, start, end)


def preview_roster_import(*, content: bytes | str, partial: bool = False) -> RosterPreview:
    """Return what importing ``content`` would create, update and deactivate, and the rows in error with their line numbers."""
    preview = RosterPreview(partial=partial)
    parsed: list[RosterRow] = []
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, raw in csv_input.rows(content, required=REQUIRED_COLUMNS):
        try:
            row = _parse(line, raw)
        except ValueError as exc:
            preview.errors.append(RowError(line, str(exc)))
            continue
        if row.employee_number in seen_numbers:
            preview.errors.append(
                RowError(line, f"employee_id {row.employee_number} is also on line {seen_numbers[row.employee_number]}.")
            )
            continue
        if row.email in seen_emails:
            preview.errors.append(RowError(line, f"This email is also on line {seen_emails[row.email]}."))
            continue
        seen_numbers[row.employee_number] = line
        seen_emails[row.email] = line
        parsed.append(row)

    existing = {employee.employee_number: employee for employee in Employee.objects.select_related("manager")}
    # Emails of employees the file does not list stay theirs: a row may not take one.
    email_owner = {
        employee.email: employee.employee_number for number, employee in existing.items() if number not in seen_numbers
    }
    for row in parsed:
        if row.email in email_owner:
            preview.errors.append(RowError(row.line, f"This email belongs to employee {email_owner[row.email]}, who is not in the file."))
            continue
        if row.manager_number and row.manager_number not in seen_numbers:
            if not partial or row.manager_number not in existing:
                preview.errors.append(
                    RowError(row.line, f"manager_id {row.manager_number} is not an employee in this file{'' if not partial else ' or the roster'}.")
                )
                continue
        employee = existing.get(row.employee_number)
        if employee is None:
            preview.creates.append(row)
            continue
        after = {
            "name": row.name,
            "email": row.email,
            "department": row.department,
            "job_role": row.job_role,
            "manager": row.manager_number or None,
            "start_date": row.start_date,
            "end_date": row.end_date,
            "active": row.active,
        }
        before = {
            "name": employee.name,
            "email": employee.email,
            "department": employee.department,
            "job_role": employee.job_role,
            "manager": employee.manager.employee_number if employee.manager_id else None,
            "start_date": employee.start_date,
            "end_date": employee.end_date,
            "active": employee.active,
        }
        changes = {name: (before[name], after[name]) for name in COMPARED if before[name] != after[name]}
        if changes:
            preview.updates.append(RosterChange(employee, row, changes))
        else:
            preview.unchanged += 1
    preview.errors.sort(key=lambda error: error.line)
    if not partial:
        preview.deactivations = [
            employee for number, employee in existing.items() if number not in seen_numbers and employee.active
        ]
    return preview


def _users_by_email(emails: set[str]) -> dict[str, object]:
    if not emails:
        return {}
    users = get_user_model().objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails, is_active=True)
    return {user.email_lower: user for user in users}


@transaction.atomic
def apply_roster_import(*, actor, content: bytes | str, filename: str = "", partial: bool = False) -> RosterImport:
    """Apply the roster file in one transaction, run the rules for new starters and changes, and return the run.

    Refused, with nothing written, when any row is in error: fix the file and preview again.
    """
    preview = preview_roster_import(content=content, partial=partial)
    if preview.has_errors:
        first = preview.errors[0]
        raise TrainingActionRefused(
            f"The file has {len(preview.errors)} row{'s' if len(preview.errors) > 1 else ''} in error "
            f"(first: line {first.line}: {first.message}); nothing was imported."
        )
    existing = {employee.employee_number: employee for employee in Employee.objects.all()}
    created = [
        Employee(
            employee_number=row.employee_number,
            name=row.name,
            email=row.email,
            department=row.department,
            job_role=row.job_role,
            start_date=row.start_date,
            end_date=row.end_date,
            active=row.active,
        )
        for row in preview.creates
    ]
    by_number = {**existing, **{employee.employee_number: employee for employee in created}}
    rows_by_number = {row.employee_number: row for row in preview.creates}
    rows_by_number.update({change.row.employee_number: change.row for change in preview.updates})
    for employee in created:
        manager_number = rows_by_number[employee.employee_number].manager_number
        employee.manager_id = by_number[manager_number].pk if manager_number else None
    users = _users_by_email({row.email for row in rows_by_number.values()})
    linked_user_ids = set(Employee.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    linked = 0
    for employee in created:
        user = users.get(employee.email)
        if user is not None and user.pk not in linked_user_ids:
            employee.user = user
            linked_user_ids.add(user.pk)
            linked += 1
    Employee.objects.bulk_create(created, batch_size=500)

    changed_audience: list = []
    for change in preview.updates:
        employee = existing[change.row.employee_number]
        row = change.row
        employee.name, employee.email = row.name, row.email
        employee.department, employee.job_role = row.department, row.job_role
        employee.manager_id = by_number[row.manager_number].pk if row.manager_number else None
        employee.start_date, employee.end_date, employee.active = row.start_date, row.end_date, row.active
        user = users.get(employee.email)
        if employee.user_id is None and user is not None and user.pk not in linked_user_ids:
            employee.user = user
            linked_user_ids.add(user.pk)
            linked += 1
            changed_audience.append(employee.pk)
        employee.save()
        if AUDIENCE_FIELDS & set(change.changes):
            changed_audience.append(employee.pk)
    deactivated = [employee.pk for employee in preview.deactivations]
    if deactivated:
        Employee.objects.filter(pk__in=deactivated).update(active=False, updated_at=timezone.now())

    now = timezone.now()
    hires = reconcile(now=now, reason=Assignment.Reason.HIRE, employees=Employee.objects.filter(pk__in=[e.pk for e in created]))
    changes = reconcile(
        now=now, reason=Assignment.Reason.ROLE_CHANGE, employees=Employee.objects.filter(pk__in=changed_audience + deactivated)
    )
    raw = content.encode("utf-8") if isinstance(content, str) else content
    report = (
        [{"line": row.line, "outcome": "created", "employee": row.employee_number, "message": ""} for row in preview.creates]
        + [
            {"line": change.line, "outcome": "updated", "employee": change.row.employee_number, "message": ", ".join(sorted(change.changes))}
            for change in preview.updates
        ]
        + [{"line": None, "outcome": "deactivated", "employee": employee.employee_number, "message": "Not in the file."} for employee in preview.deactivations]
    )
    run = RosterImport.objects.create(
        actor=actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None,
        filename=filename[:255],
        sha256=hashlib.sha256(raw).hexdigest(),
        report=sorted(report, key=lambda entry: (entry["line"] is None, entry["line"] or 0)),
        partial=partial,
        created_count=len(created),
        updated_count=len(preview.updates),
        deactivated_count=len(deactivated),
        unchanged_count=preview.unchanged,
        linked_users_count=linked,
    )
    record_event(
        actor=actor,
        action="training.roster_imported",
        target=run,
        data={
            "filename": filename,
            "partial": partial,
            "created": len(created),
            "updated": len(preview.updates),
            "deactivated": len(deactivated),
            "unchanged": preview.unchanged,
            "linked_users": linked,
            "assignments_created": hires.created + changes.created,
            "assignments_cancelled": changes.cancelled,
        },
    )
    return run


@transaction.atomic
def link_employee_user(*, actor, employee: Employee, user) -> Employee:
    """Link an employee to the Custos user they sign in as (or unlink with ``user=None``), and re-run their rules."""
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if user is not None and Employee.objects.filter(user=user).exclude(pk=employee.pk).exists():
        raise TrainingActionRefused(f"{user.get_username()} is already linked to another employee.")
    before = employee.user_id
    employee.user = user
    employee.save(update_fields=["user", "updated_at"])
    reconcile(now=timezone.now(), reason=Assignment.Reason.ROLE_CHANGE, employees=Employee.objects.filter(pk=employee.pk))
    record_event(
        actor=actor,
        action="training.employee_linked",
        target=employee,
        data={"employee": employee.employee_number, "user_before": before, "user": user.pk if user else None},
    )
    return employee
