"""A compliance manager's journey in a real browser: sign in with TOTP, land on the dashboard, follow a chart to its list.

The dashboard needs no script: its charts are server-rendered SVG whose bars are
links. The journey follows the "Open rights requests" bar of GDPR erasure
requests to the erasure list, filtered, and checks the page shows the request
behind the figure; no console error and no CSP violation on the way.
"""

import re

from playwright.sync_api import expect

from compliance.accounts import otp
from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.reports.dashboard_services import refresh_dashboard_summary
from tests.compliance.reports.dashboard_data import seed
from tests.conftest import enrol_totp
from tests.e2e.conftest import E2E
from tests.factories import DEFAULT_PASSWORD

pytestmark = E2E


def test_a_manager_reads_the_dashboard_and_follows_a_chart_to_its_list(browser_page, make_user):
    dpo = make_user(Role.DPO, username="dana.dpo")
    manager = make_user(Role.COMPLIANCE_MANAGER, username="mona.manager")
    objects = seed(dpo, manager)
    refresh_dashboard_summary(actor=SystemActor("beat"))
    totp_seed = enrol_totp(manager).encrypted_key
    page = browser_page.page

    page.goto("/accounts/login/")
    page.fill("input[name=username]", "mona.manager")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/mfa/verify/"))
    page.fill("input[name=token]", otp.totp_now(totp_seed))
    page.get_by_role("button", name="Verify").click()

    # The manager's home is the dashboard.
    page.wait_for_url(re.compile(r"/dashboard/$"))
    expect(page.locator("h1")).to_have_text("Compliance dashboard")
    expect(page.locator(".dashboard-age")).to_contain_text("refreshed every 10 minutes")
    chart = page.locator("#chart-rights-open svg.chart-svg")
    expect(chart).to_have_attribute("aria-labelledby", "chart-rights-open-title chart-rights-open-desc")
    assert page.locator("#chart-scores-title").text_content() == "Compliance score per framework"

    # Follow the chart: the GDPR erasure bar opens the filtered erasure list.
    chart.locator('a[aria-label="GDPR / UK GDPR, Erasure: 1"]').click()
    page.wait_for_url(re.compile(r"/erasure/requests/\?status=open&regulation=gdpr$"))
    expect(page.locator("select[name=status]")).to_have_value("open")
    expect(page.locator("select[name=regulation]")).to_have_value("gdpr")
    expect(page.get_by_role("link", name=objects["erasure"].reference)).to_be_visible()

    assert browser_page.problems.messages == []
