"""An auditor's journey in a real browser: sign in with TOTP, request a report, watch it advance, download and verify it.

The report's task runs in the test's thread (as a worker would run it), while
the page, reloading itself with a meta refresh and no script, shows its
progress: the task pauses at its first progress step until the browser has
shown that value.
"""

import io
import re

import pypdf
from django.core.management import call_command
from playwright.sync_api import expect

from compliance.accounts import otp
from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.reports import services
from compliance.reports.models import AuditReport
from compliance.reports.tasks import generate_report
from tests.compliance.controls.conftest import load
from tests.conftest import enrol_totp
from tests.e2e.conftest import E2E
from tests.factories import DEFAULT_PASSWORD

pytestmark = E2E

HEADINGS = ["Executive summary", "Frameworks", "Rights requests", "Consent", "Dataset register",
            "Models and training runs", "Staff training", "Audit log", "Definitions"]


def test_an_auditor_generates_watches_downloads_and_verifies_a_report(browser_page, make_user, monkeypatch, settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "reports"
    load()  # a framework to report on
    auditor = make_user(Role.AUDITOR, username="audrey.auditor")
    seed = enrol_totp(auditor).encrypted_key
    sent = []
    monkeypatch.setattr(services.current_app, "send_task", lambda name, args=(), **options: sent.append(args[0]))
    page = browser_page.page

    page.goto("/accounts/login/")
    page.fill("input[name=username]", "audrey.auditor")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/mfa/verify/"))
    page.fill("input[name=token]", otp.totp_now(seed))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)

    page.goto("/reports/new/")
    page.fill("input[name=period_start]", "2026-01-01")
    page.fill("input[name=period_end]", "2026-12-01")
    assert page.locator("input[name=sections]:checked").count() == len(HEADINGS)
    page.get_by_role("button", name="Request report").click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    report = AuditReport.objects.get()
    assert sent == [report.pk]
    progress = page.locator("progress#report-progress")
    assert progress.get_attribute("value") == "0"

    shown = []
    record = services.record_progress

    def record_and_watch(*, report_id, progress):
        record(report_id=report_id, progress=progress)
        if not shown:  # the page reloads itself (meta refresh) until it shows the committed value
            expect(page.locator("progress#report-progress")).to_have_attribute("value", str(progress), timeout=15_000)
            shown.append(progress)

    monkeypatch.setattr(services, "record_progress", record_and_watch)
    assert generate_report.run(report.pk) == "done"
    assert shown and 0 < shown[0] < 100

    download_pdf = page.get_by_role("link", name="Download PDF")
    download_pdf.wait_for(timeout=15_000)
    with page.expect_download() as pdf_download:
        download_pdf.click()
    pdf_path = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf_path)
    with page.expect_download() as sig_download:
        page.get_by_role("link", name="Download signature (.sig)").click()
    sig_path = tmp_path / sig_download.value.suggested_filename
    sig_download.value.save_as(sig_path)

    report.refresh_from_db()
    assert pdf_path.name == f"custos-audit-report-{report.pk}.pdf" and sig_path.name == f"{pdf_path.name}.sig"
    reader = pypdf.PdfReader(io.BytesIO(pdf_path.read_bytes()))
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) == report.pages >= len(HEADINGS) + 2
    contents = pages[1]
    for heading in HEADINGS:
        entry = next(line for line in contents.splitlines() if line.startswith(heading))
        number = int(re.search(r"(\d+)\s*$", entry).group(1))
        assert heading in pages[number - 1].split("\n")[:3], (heading, number)
    out = io.StringIO()
    call_command("verify_report", str(pdf_path), str(sig_path), stdout=out)
    assert out.getvalue().startswith(f"Verified: Custos audit report #{report.pk} ({report.uid})")
    actions = set(AuditEvent.objects.filter(target_id=str(report.pk), action__startswith="report.").values_list("action", flat=True))
    assert actions == {"report.requested", "report.generated", "report.downloaded", "report.signature_downloaded"}
    assert browser_page.problems.messages == []
