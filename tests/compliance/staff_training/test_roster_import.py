"""The HR roster import: preview, create, update, deactivate, partial imports, the error report, user links."""

from datetime import date
from pathlib import Path

import pytest

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training import services
from compliance.staff_training.models import Assignment, Employee, RosterImport
from compliance.staff_training.services import TrainingActionRefused
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db
HEADER = "employee_id,name,email,department,job_role,manager_id,start_date,end_date\n"
SAMPLE = Path(__file__).resolve().parents[3] / "compliance/staff_training/samples/hr_roster.csv"
ROWS = (
    "E-1,Ann Lee,ann@example.org,Engineering,ML engineer,E-2,2021-01-04,\n"
    "E-2,Bob Kay,bob@example.org,Engineering,Engineering manager,,2019-05-01,\n"
)


def test_the_preview_lists_creates_and_writes_nothing():
    preview = services.preview_roster_import(content=HEADER + ROWS)

    assert [row.employee_number for row in preview.creates] == ["E-1", "E-2"]
    assert (preview.updates, preview.deactivations, preview.errors, preview.unchanged) == ([], [], [], 0)
    assert not Employee.objects.exists()


def test_applying_creates_employees_encrypted_with_managers_and_links_users_by_email(manager_user, make_user):
    user = make_user(Role.ML_ENGINEER, email="ANN@example.org")
    builders.course("secure-ml", audience_job_roles=["ML engineer"])

    run = services.apply_roster_import(actor=manager_user, content=HEADER + ROWS, filename="hr.csv")

    ann = Employee.objects.get(employee_number="E-1")
    assert (ann.name, ann.email, ann.manager.employee_number, ann.user) == ("Ann Lee", "ann@example.org", "E-2", user)
    raw = Employee.objects.filter(pk=ann.pk).values_list("name", "email").get()
    assert "Ann" not in raw[0] and "ann@" not in raw[1]
    assert (run.created_count, run.updated_count, run.deactivated_count, run.linked_users_count) == (2, 0, 0, 1)
    assert Assignment.objects.get(employee=ann).reason == "hire"
    event = AuditEvent.objects.get(action="training.roster_imported")
    assert event.data == {
        "filename": "hr.csv",
        "partial": False,
        "created": 2,
        "updated": 0,
        "deactivated": 0,
        "unchanged": 0,
        "linked_users": 1,
        "assignments_created": 1,
        "assignments_cancelled": 0,
    }


def test_applying_the_same_file_again_changes_nothing(manager_user):
    services.apply_roster_import(actor=manager_user, content=HEADER + ROWS)

    preview = services.preview_roster_import(content=HEADER + ROWS)
    run = services.apply_roster_import(actor=manager_user, content=HEADER + ROWS)

    assert (len(preview.creates), len(preview.updates), preview.unchanged) == (0, 0, 2)
    assert (run.created_count, run.updated_count, run.unchanged_count) == (0, 0, 2)
    assert Employee.objects.count() == 2


def test_the_preview_shows_updates_field_by_field(manager_user):
    services.apply_roster_import(actor=manager_user, content=HEADER + ROWS)
    changed = ROWS.replace("E-1,Ann Lee,ann@example.org,Engineering,ML engineer", "E-1,Ann Lee,ann@example.org,Research,Researcher")

    preview = services.preview_roster_import(content=HEADER + changed)

    assert len(preview.updates) == 1
    assert preview.updates[0].changes == {"department": ("Engineering", "Research"), "job_role": ("ML engineer", "Researcher")}
    services.apply_roster_import(actor=manager_user, content=HEADER + changed)
    assert Employee.objects.get(employee_number="E-1").department == "Research"


def test_a_full_import_deactivates_those_missing_and_a_partial_one_never_does(manager_user):
    services.apply_roster_import(actor=manager_user, content=HEADER + ROWS)
    only_bob = HEADER + ROWS.splitlines(keepends=True)[1]

    partial = services.preview_roster_import(content=only_bob, partial=True)
    assert partial.deactivations == []
    services.apply_roster_import(actor=manager_user, content=only_bob, partial=True)
    assert Employee.objects.get(employee_number="E-1").active

    full = services.preview_roster_import(content=only_bob)
    assert [employee.employee_number for employee in full.deactivations] == ["E-1"]
    run = services.apply_roster_import(actor=manager_user, content=only_bob)
    assert run.deactivated_count == 1
    assert not Employee.objects.get(employee_number="E-1").active
    assert {"line": None, "outcome": "deactivated", "employee": "E-1", "message": "Not in the file."} in run.report


def test_row_errors_carry_line_numbers_and_block_the_apply(manager_user):
    content = HEADER + (
        "E-1,Ann Lee,ann@example.org,Engineering,ML engineer,,2021-01-04,\n"
        ",No Id,x@example.org,Eng,Dev,,2021-01-04,\n"
        "E-3,Cat,not-an-email,Eng,Dev,,2021-01-04,\n"
        "E-4,Dan,dan@example.org,Eng,Dev,,04/01/2021,\n"
        "E-1,Ann Again,ann2@example.org,Eng,Dev,,2021-01-04,\n"
        "E-6,Eve,ann@example.org,Eng,Dev,,2021-01-04,\n"
        "E-7,Fay,fay@example.org,Eng,Dev,E-99,2021-01-04,\n"
        "E-8,Gus,gus@example.org,Eng,Dev,,2021-01-04,2020-01-01\n"
    )

    preview = services.preview_roster_import(content=content)

    assert [(error.line, error.message) for error in preview.errors] == [
        (3, "employee_id is empty."),
        (4, "email 'not-an-email' is not an email address."),
        (5, "start_date '04/01/2021' is not a date like 2026-03-31."),
        (6, "employee_id E-1 is also on line 2."),
        (7, "This email is also on line 2."),
        (8, "manager_id E-99 is not an employee in this file."),
        (9, "end_date 2020-01-01 is before start_date 2021-01-04."),
    ]
    with pytest.raises(TrainingActionRefused) as refusal:
        services.apply_roster_import(actor=manager_user, content=content)
    assert str(refusal.value) == (
        "The file has 7 rows in error (first: line 3: employee_id is empty.); nothing was imported."
    )
    assert not Employee.objects.exists()
    assert not RosterImport.objects.exists()


def test_a_file_without_the_required_columns_is_refused_naming_them():
    with pytest.raises(TrainingActionRefused) as refusal:
        services.preview_roster_import(content="employee_id,name\nE-1,Ann\n")

    assert str(refusal.value) == (
        "The file has no email, department, job_role, start_date columns; "
        "the first line must name at least: employee_id, name, email, department, job_role, start_date."
    )


def test_an_email_of_an_employee_not_in_a_partial_file_cannot_be_taken(manager_user):
    builders.employee(employee_number="E-50", email="taken@example.org")

    preview = services.preview_roster_import(content=HEADER + "E-51,New,taken@example.org,Eng,Dev,,2024-01-01,\n", partial=True)

    assert [(error.line, error.message) for error in preview.errors] == [
        (2, "This email belongs to employee E-50, who is not in the file.")
    ]


def test_a_past_end_date_makes_the_employee_inactive(manager_user):
    services.apply_roster_import(actor=manager_user, content=HEADER + "E-1,Ann,ann@example.org,Eng,Dev,,2020-01-01,2021-01-01\n")

    assert not Employee.objects.get().active


def test_the_sample_file_imports_cleanly(manager_user):
    preview = services.preview_roster_import(content=SAMPLE.read_bytes())

    assert preview.errors == []
    assert len(preview.creates) == 7
    services.apply_roster_import(actor=manager_user, content=SAMPLE.read_bytes())
    assert Employee.objects.get(employee_number="E-1003").manager.employee_number == "E-1002"
    assert Employee.objects.get(employee_number="E-1007").end_date == date(2026, 6, 30)


def test_the_management_command_previews_then_applies(manager_user, capsys):
    from django.core.management import call_command

    call_command("import_roster", str(SAMPLE))
    assert "7 to create, 0 to update, 0 to deactivate, 0 unchanged, 0 errors" in capsys.readouterr().out
    assert not Employee.objects.exists()

    call_command("import_roster", str(SAMPLE), "--apply")
    assert "Imported: 7 created, 0 updated, 0 deactivated, 0 unchanged." in capsys.readouterr().out
    assert Employee.objects.count() == 7
