"""A compliance manager runs the automated checks on the demo data in a real browser and reads a check's timeline.

Uses the browser harness of tests/e2e (Debian's Chromium through Playwright);
Celery runs eagerly inside the live server's request, as in the erasure journey.
"""

import pytest
from django.conf import settings
from django.core.management import call_command

from compliance.accounts.roles import Role
from compliance.controls.models import CheckResult, Control
from tests.conftest import verified_client
from tests.e2e.conftest import E2E, browser_page, chromium  # noqa: F401 (fixtures)
from tests.e2e.test_erasure_journey import eager_tasks  # noqa: F401 (fixture)

pytestmark = E2E


def test_a_manager_runs_the_checks_and_follows_a_failing_one(browser_page, live_server, eager_tasks, make_user, tmp_path):  # noqa: F811
    call_command("seed_demo", verbosity=0)
    manager = make_user(Role.COMPLIANCE_MANAGER, username="checks-manager")
    session = verified_client(manager).cookies[settings.SESSION_COOKIE_NAME].value
    page = browser_page.page
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])

    # seed_demo ran every check once, so the overview starts with results, not "Not run yet.".
    seeded = CheckResult.objects.count()
    assert seeded == 15
    page.goto("/controls/checks/")
    assert page.locator("tbody td .muted", has_text="Not run yet.").count() == 0
    page.click("text=Run all checks now")

    page.wait_for_selector("text=Queued: every check runs in the background.")
    page.reload()
    assert CheckResult.objects.filter(run_by="checks-manager").count() == 15
    assert CheckResult.objects.count() == seeded + 15
    page.screenshot(path=str(tmp_path / "checks.png"), full_page=True)

    page.click("text=Staff are current on required privacy training")
    # The demo roster has overdue employees, so the check fails with the real figure and lists them.
    page.wait_for_selector("text=of 50 employees with required training are current")
    # Two runs on the timeline: seed_demo's and the manager's.
    assert page.locator(".check-timeline .check-cell-fail").count() == 2
    page.screenshot(path=str(tmp_path / "check.png"), full_page=True)
    assert Control.objects.get(code="CTL-TRN-01").automated_status == "failing"
    assert browser_page.problems.messages == []
