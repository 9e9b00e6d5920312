"""An employee acknowledges the acceptable-use policy and completes a course; the compliance manager sees it.

The employee acknowledges the policy in one click on "My training". The course
is proven by an LMS record, which is how the product really learns of it: the
compliance manager imports the learning platform's CSV export (preview, then
apply). The employee then downloads their certificate of completion, and the
compliance view shows the course and the policy complete.
"""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.staff_training import services
from compliance.staff_training.models import Assignment, Completion, Course
from tests.conftest import verified_client
from tests.e2e.conftest import E2E
from tests.factories import user_with_role

pytestmark = E2E
SETUP = SystemActor("journey")


def _sign_in(browser_page, live_server, user) -> None:
    context = browser_page.page.context
    context.clear_cookies()
    session = verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])


def _organisation():
    employee_user = user_with_role(Role.EMPLOYEE, username="ada", email="ada.lovelace@example.org")
    manager_user = user_with_role(Role.COMPLIANCE_MANAGER, username="compliance")
    roster = (
        "employee_id,name,email,department,job_role,manager_id,start_date,end_date\n"
        f"E-1,Ada Lovelace,ada.lovelace@example.org,Engineering,ML engineer,,{(date.today() - timedelta(days=400)).isoformat()},\n"
    )
    services.apply_roster_import(actor=SETUP, content=roster, filename="roster.csv")
    services.create_course(
        actor=SETUP,
        code="dp-basics",
        title="Data protection basics",
        valid_days=365,
        passing_score=80,
        proof_kind=Course.ProofKind.LMS_RECORD,
        control_codes=["CTL-TRN-01"],
    )
    policy = services.create_policy(actor=SETUP, code="acceptable-use", title="Acceptable use policy")
    services.add_policy_version(actor=SETUP, policy=policy, version="1.0", effective_date=date.today() - timedelta(days=1), text="Handle personal data only for the purpose it was collected for.")
    services.sync_assignments()
    return employee_user, manager_user


def test_an_employee_acknowledges_the_policy_and_completes_a_course_and_the_manager_sees_it(browser_page, live_server, tmp_path):
    employee_user, manager_user = _organisation()
    page = browser_page.page

    # The employee: two things to do, the policy acknowledged in one click.
    _sign_in(browser_page, live_server, employee_user)
    page.goto("/")
    page.get_by_role("link", name="Open my training").click()
    page.wait_for_url("**/training/")
    todo = page.locator("section[aria-labelledby=todo-heading]")
    assert "To do (2)" in todo.inner_text()
    page.get_by_role("link", name="Read version 1.0").click()
    assert "Handle personal data only for the purpose" in page.inner_text("main")
    page.go_back()
    page.get_by_role("button", name="I have read and accept Acceptable use policy v1.0").click()
    page.wait_for_url("**/training/")
    assert "You acknowledged Acceptable use policy version 1.0 on" in page.inner_text(".messages")
    assert "To do (1)" in todo.inner_text()
    assert "Take the course in the learning platform" in todo.inner_text()

    # The compliance manager imports the LMS export: preview, then apply the same file.
    _sign_in(browser_page, live_server, manager_user)
    lms = tmp_path / "lms.csv"
    lms.write_text(
        "course_code,employee_email,employee_id,completed_at,score\n"
        f"dp-basics,ada.lovelace@example.org,,{(timezone.now() - timedelta(hours=2)).isoformat()},91\n"
    )
    page.goto("/training/imports/lms/")
    page.set_input_files("input[name=file]", str(lms))
    page.get_by_role("button", name="Preview").click()
    report = page.locator("section[aria-labelledby=report-heading]")
    assert "Will be recorded." in report.inner_text()
    page.set_input_files("input[name=file]", str(lms))
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/training/imports/lms/*/")
    assert "LMS completions imported: 1 matched, 0 unmatched, 0 rejected." in page.inner_text(".messages")

    # The employee sees the course completed and downloads the certificate.
    _sign_in(browser_page, live_server, employee_user)
    page.goto("/training/")
    done = page.locator("section[aria-labelledby=done-heading]")
    assert "Data protection basics" in done.inner_text() and "Acceptable use policy" in done.inner_text()
    assert "Nothing to do: all your training is current." in page.inner_text("main")
    with page.expect_download() as download_info:
        done.get_by_role("link", name="Certificate (PDF)").first.click()
    saved = tmp_path / "certificate.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")

    # The compliance manager's view shows both complete.
    _sign_in(browser_page, live_server, manager_user)
    page.goto("/training/compliance/")
    by_course = page.locator("section[aria-labelledby=by-course-heading] table").first
    course_row = by_course.locator("tr", has_text="Data protection basics").inner_text()
    policy_row = by_course.locator("tr", has_text="Acceptable use policy v1.0").inner_text()
    assert "100.0%" in course_row and "100.0%" in policy_row
    assert "Nothing is overdue." in page.inner_text("section[aria-labelledby=overdue-heading]")
    assert Completion.objects.filter(employee__employee_number="E-1").count() == 2
    assert not Assignment.objects.filter(employee__employee_number="E-1", status__in=Assignment.OPEN_STATUSES).exists()
    assert browser_page.problems.messages == []
