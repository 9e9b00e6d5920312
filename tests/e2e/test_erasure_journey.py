"""A DPO erases a demo subject end to end in a real browser: file, discover, verify, approve, certificate.

The demo (``seed_demo``) registers real stores under the test's file root, as
``make run`` does under ``var/``. Celery runs its tasks eagerly here, inside
the live server's request, so the journey does not race a worker for the
in-memory SQLite database; the real worker is exercised by the engine's and
the reliability tests.
"""

import io
import sqlite3
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from compliance.accounts.models import User
from compliance.celery import app as celery_app
from consent.erasure.models import ErasureRequest, RequestStatus
from tests.conftest import verified_client
from tests.e2e.conftest import E2E

pytestmark = E2E


@pytest.fixture
def eager_tasks():
    before = {name: celery_app.conf.get(name) for name in ("task_always_eager", "task_eager_propagates")}
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    celery_app.conf.update(before)


def _sign_in(browser_page, live_server, user) -> None:
    session = verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    browser_page.page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])


def _clinic_patients() -> list[str]:
    path = Path(settings.CONNECTOR_FILESYSTEM_ROOTS[0]) / "demo" / "clinic.sqlite3"
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT patient_id FROM appointments")]
    finally:
        connection.close()


def test_a_dpo_erases_a_demo_subject_and_downloads_the_certificate(browser_page, live_server, eager_tasks, tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    _sign_in(browser_page, live_server, User.objects.get(username="dpo"))
    page = browser_page.page
    assert "demo-subject-001" in _clinic_patients()

    page.goto("/erasure/requests/new/")
    page.fill("input[name=external_id]", "demo-subject-001")
    page.select_option("select[name=regulation]", "gdpr")
    page.get_by_role("button", name="Receive request").click()
    page.wait_for_url("**/erasure/requests/*/")
    request = ErasureRequest.objects.get(subject__external_id="demo-subject-001")
    assert request.status == RequestStatus.RECEIVED

    page.get_by_role("button", name="Discover").click()
    discovery = page.locator("section[aria-labelledby=discovery-heading] tbody")
    discovery.wait_for()
    clinic_row = discovery.locator("tr", has_text="clinic database")
    assert clinic_row.locator("td").nth(2).inner_text().strip() == "2"

    page.select_option("select[name=method]", "id_document")
    page.fill("textarea[name=evidence_note]", "Passport seen at the front desk")
    page.get_by_role("button", name="Record verification").click()
    page.get_by_role("button", name="Approve erasure").wait_for()
    page.get_by_role("button", name="Approve erasure").click()

    certificate_link = page.get_by_role("link", name="Download the certificate of erasure (PDF)")
    certificate_link.wait_for()
    steps = page.locator("section[aria-labelledby=steps-heading] tbody")
    assert "Done" in steps.locator("tr", has_text="clinic database").inner_text()
    assert "Skipped" in steps.locator("tr", has_text="shop database").inner_text()
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert "demo-subject-001" not in _clinic_patients()

    with page.expect_download() as download_info:
        certificate_link.click()
    saved = tmp_path / "certificate.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert browser_page.problems.messages == []
