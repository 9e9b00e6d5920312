"""A compliance manager assesses a GDPR requirement in a real browser: bulk status, the flag, evidence upload, the score.

Runs on the shipped catalogs and default controls, like a fresh ``make run``;
skipped outside CI when Debian's Chromium is missing (see tests/e2e/conftest.py).
"""

import re

from django.conf import settings

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.controls.loader import load_catalogs
from compliance.controls.models import Evidence, Framework, RequirementAssessment
from tests.compliance.controls.conftest import PDF, make_assessment
from tests.conftest import verified_client
from tests.e2e.conftest import E2E, browser_page, chromium  # noqa: F401  (the browser fixtures)
from tests.factories import user_with_role

pytestmark = E2E


def test_a_manager_marks_a_requirement_compliant_and_proves_it_with_evidence(browser_page, live_server, tmp_path):
    load_catalogs(actor=SystemActor("tests"))
    manager = user_with_role(Role.COMPLIANCE_MANAGER)
    assessment = make_assessment(Framework.objects.get(code="gdpr"), manager, title="GDPR 2026")
    item = assessment.items.get(requirement__ref="Art. 32(1)(a)")
    session = verified_client(manager).cookies[settings.SESSION_COOKIE_NAME].value
    page = browser_page.page
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])

    page.goto(f"/controls/assessments/{assessment.pk}/")
    page.check(f"#item-{item.pk}")
    page.select_option("#bulk_status", "compliant")
    page.click("text=Update selected")
    page.wait_for_selector("text=1 requirement updated.")
    row = page.locator("tr", has=page.locator(f"#item-{item.pk}"))
    assert "Compliant without evidence" in row.inner_text()
    assert re.search(r"General Data Protection Regulation\s+0\.6%", page.inner_text(".scores"))

    # The control mapped to Art. 32(1)(a) carries the evidence for every requirement it maps.
    page.goto("/controls/evidence/new/?control=CTL-ENC-01")
    upload = tmp_path / "encryption-policy.pdf"
    upload.write_bytes(PDF)
    page.set_input_files("#id_file", str(upload))
    page.fill("#id_title", "Encryption at rest policy")
    page.fill("#id_expires_on", "2099-12-31")
    page.click("button:has-text('Upload')")
    page.wait_for_selector("text=stored, encrypted")

    page.goto(f"/controls/assessments/{assessment.pk}/")
    row = page.locator("tr", has=page.locator(f"#item-{item.pk}"))
    assert "Compliant without evidence" not in row.inner_text()
    assert "1 current" in row.inner_text()
    assert RequirementAssessment.objects.get(pk=item.pk).status == "compliant"
    assert Evidence.objects.get().controls.get().code == "CTL-ENC-01"
    assert AuditEvent.objects.filter(action="controls.evidence_uploaded", actor_id=str(manager.pk)).exists()
    assert browser_page.problems.messages == []
