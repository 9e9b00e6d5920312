"""Builders of roster, catalogue and assignment rows for the staff-training tests (direct rows, no services)."""

from datetime import date
from itertools import count

from compliance.staff_training.models import Course, Employee, Policy, PolicyVersion

_numbers = count(1)


def employee(**fields) -> Employee:
    """Save and return an employee; ``number`` defaults to a fresh E-0001-style id."""
    number = fields.pop("employee_number", None) or f"E-{next(_numbers):04d}"
    defaults = {
        "name": f"Person {number}",
        "email": f"{number.lower()}@staff.example.org",
        "department": "Engineering",
        "job_role": "Software engineer",
        "start_date": date(2020, 1, 6),
    }
    defaults.update(fields)
    return Employee.objects.create(employee_number=number, **defaults)


def course(code: str = "dp-basics", **fields) -> Course:
    defaults = {"title": code.replace("-", " ").title(), "valid_days": 365, "grace_days": 30}
    defaults.update(fields)
    return Course.objects.create(code=code, **defaults)


def policy(code: str = "acceptable-use", **fields) -> Policy:
    defaults = {"title": "Acceptable use policy", "grace_days": 14}
    defaults.update(fields)
    return Policy.objects.create(code=code, **defaults)


def version(policy_: Policy, number: str, effective: date, **fields) -> PolicyVersion:
    return PolicyVersion.objects.create(policy=policy_, version=number, effective_date=effective, text=f"Text of {number}", **fields)
