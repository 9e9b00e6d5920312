"""The import pages: the HR roster (preview, apply, partial), LMS completions with their report, the import
history and the xAPI statement log (compliance/staff_training/views/imports.py)."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training.models import Completion, Employee, LmsImport, RosterImport, XapiStatement
from tests.compliance.staff_training import builders
from tests.compliance.staff_training.views.conftest import assignment

pytestmark = pytest.mark.django_db

HEADER = "employee_id,name,email,department,job_role,manager_id,start_date,end_date\n"
ROSTER = (
    HEADER
    + "E-1,Maya Okafor,maya@example.org,Executive,Chief executive,,2019-02-04,\n"
    + "E-2,Tom Reyes,tom@example.org,Engineering,Engineering manager,E-1,2019-06-03,\n"
    + "E-3,Broken Row,not-an-email,Engineering,ML engineer,E-2,2021-09-13,\n"
)


def _upload(text: str, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def manager(client_for):
    return client_for(Role.COMPLIANCE_MANAGER)[0]


def test_the_roster_preview_lists_creates_and_row_errors_with_line_numbers_and_offers_no_apply(manager):
    response = manager.post(reverse("staff_training:hr_import"), {"file": _upload(ROSTER), "action": "preview"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>2</strong> to create" in html and "<strong>1</strong> row error" in html
    errors = html.split("<h3>Row errors</h3>")[1].split("</table>")[0]
    assert "<th scope=\"row\">4</th>" in errors and "is not an email address" in errors
    assert 'value="apply"' not in html
    assert not Employee.objects.exists()


def test_the_roster_is_applied_after_a_preview_of_the_same_file_and_audited(manager):
    roster = HEADER + "E-1,Maya Okafor,maya@example.org,Executive,Chief executive,,2019-02-04,\n"
    builders.employee(employee_number="E-9", name="Left Already")

    preview = manager.post(reverse("staff_training:hr_import"), {"file": _upload(roster), "action": "preview"}).content.decode()
    assert "<strong>1</strong> to create" in preview and "<strong>1</strong> to deactivate" in preview and 'value="apply"' in preview
    response = manager.post(
        reverse("staff_training:hr_import"), {"file": _upload(roster), "action": "apply", "previewed_sha256": _sha(roster)}, follow=True
    )

    run = RosterImport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("staff_training:roster_import_detail", kwargs={"pk": run.pk})
    assert "Roster imported: 1 created, 0 updated, 1 deactivated, 0 unchanged." in response.content.decode()
    assert Employee.objects.get(employee_number="E-1").name == "Maya Okafor"
    assert not Employee.objects.get(employee_number="E-9").active
    detail = response.content.decode()
    assert "Not in the file." in detail and "E-9" in detail
    assert AuditEvent.objects.filter(action__startswith="training.roster").exists()


def test_a_partial_import_never_deactivates(manager):
    roster = HEADER + "E-1,Maya Okafor,maya@example.org,Executive,Chief executive,,2019-02-04,\n"
    builders.employee(employee_number="E-9")

    preview = manager.post(reverse("staff_training:hr_import"), {"file": _upload(roster), "action": "preview", "partial": "on"}).content.decode()
    manager.post(reverse("staff_training:hr_import"), {"file": _upload(roster), "action": "apply", "partial": "on", "previewed_sha256": _sha(roster)})

    assert "<strong>0</strong> to deactivate" in preview and "(partial import)" in preview
    assert Employee.objects.get(employee_number="E-9").active
    assert RosterImport.objects.get().partial


def test_applying_a_file_that_was_not_previewed_is_refused(manager):
    roster = HEADER + "E-1,Maya Okafor,maya@example.org,Executive,Chief executive,,2019-02-04,\n"

    response = manager.post(reverse("staff_training:hr_import"), {"file": _upload(roster), "action": "apply", "previewed_sha256": "0" * 64})

    assert response.status_code == 400
    assert "The file differs from the one previewed (or was not previewed)" in response.content.decode()
    assert not RosterImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00bad", "The file is not UTF-8 text; export it from the spreadsheet as CSV UTF-8."),
        (b"name,email\nA,a@example.org\n", "The file has no employee_id, department, job_role, start_date columns"),
        (b"   ", "The file is empty."),
    ],
)
def test_an_unreadable_roster_file_gets_a_clear_message(manager, content, message):
    response = manager.post(reverse("staff_training:hr_import"), {"file": SimpleUploadedFile("x.csv", content), "action": "preview"})

    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_roster_post_without_a_file_says_so(manager):
    response = manager.post(reverse("staff_training:hr_import"), {"action": "preview"})

    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.content.decode()


LMS = (
    "course_code,employee_email,employee_id,completed_at,score\n"
    "dp-basics,,E-1,2026-02-10T09:30:00Z,92\n"
    "dp-basics,,E-404,2026-02-10T09:30:00Z,92\n"
    "no-such-course,,E-1,2026-02-10T09:30:00Z,92\n"
    "dp-basics,,E-1,not a date,92\n"
)


def test_the_lms_preview_and_apply_report_matched_unmatched_and_rejected_rows_with_reasons(manager):
    person = builders.employee(employee_number="E-1")
    course = builders.course("dp-basics")
    assignment(person, course=course)

    preview = manager.post(reverse("staff_training:lms_import"), {"file": _upload(LMS, "lms.csv"), "action": "preview"}).content.decode()
    assert not Completion.objects.exists()
    response = manager.post(
        reverse("staff_training:lms_import"), {"file": _upload(LMS, "lms.csv"), "action": "apply", "previewed_sha256": _sha(LMS)}, follow=True
    )

    assert "<strong>1</strong> matched" in preview and "<strong>2</strong> unmatched" in preview and "<strong>1</strong> rejected" in preview
    assert "No employee has employee_id E-404." in preview and "No course has the code &#x27;no-such-course&#x27;." in preview
    html = response.content.decode()
    assert "LMS completions imported: 1 matched, 2 unmatched, 1 rejected." in html
    assert "No employee has employee_id E-404." in html
    run = LmsImport.objects.get()
    assert Completion.objects.get().lms_import == run
    assert AuditEvent.objects.filter(action__startswith="training.lms").exists()


def test_the_import_history_lists_both_kinds(client_for):
    client, _ = client_for(Role.AUDITOR)
    RosterImport.objects.create(sha256="0" * 64, filename="hr-march.csv", created_count=7)
    LmsImport.objects.create(sha256="0" * 64, filename="lms-march.csv", matched_count=5)

    html = client.get(reverse("staff_training:import_list")).content.decode()

    assert "hr-march.csv" in html and "lms-march.csv" in html


def test_the_statement_log_shows_rejections_with_their_reason_and_filters_by_status(client_for):
    client, _ = client_for(Role.AUDITOR)
    course = builders.course("dp-basics")
    XapiStatement.objects.create(statement_id="11111111-1111-4111-8111-111111111111", status="accepted", course=course, raw={})
    XapiStatement.objects.create(
        statement_id="22222222-2222-4222-8222-222222222222", status="rejected", reason="Score 40% is below the passing score 80%.", raw={}
    )

    everything = client.get(reverse("staff_training:statement_list")).content.decode()
    rejected = client.get(reverse("staff_training:statement_list") + "?status=rejected").content.decode()

    assert "2 statements" in everything and "11111111-1111-4111-8111-111111111111" in everything
    assert "1 statement" in rejected and "Score 40% is below the passing score 80%." in rejected
    assert "11111111-1111-4111-8111-111111111111" not in rejected


def test_a_bad_statement_filter_says_so(client_for):
    client, _ = client_for(Role.AUDITOR)

    html = client.get(reverse("staff_training:statement_list") + "?status=maybe").content.decode()

    assert "Select a valid choice. maybe is not one of the available choices." in html
