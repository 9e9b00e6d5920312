"""The report pages: list (constant queries), request form, detail with a script-free progress bar, downloads, integrity."""

from datetime import date

import pytest
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.crypto import signing
from compliance.reports import services
from compliance.reports.models import AuditReport
from compliance.reports.tasks import generate_report
from tests.conftest import verified_client
from tests.compliance.reports.audit_reports.conftest import request

pytestmark = pytest.mark.django_db


def _reports(user, count: int) -> None:
    AuditReport.objects.bulk_create(
        AuditReport(requested_by=user, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31), sections=["summary"])
        for _ in range(count)
    )


def _list_queries(client, django_assert_max_num_queries, count_queries) -> int:
    with count_queries() as context:
        response = client.get(reverse("reports:report_list"))
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def count_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    return lambda: CaptureQueriesContext(connection)


def test_the_list_takes_as_many_queries_at_1000_reports_as_at_10(auditor, django_assert_max_num_queries, count_queries):
    client = verified_client(auditor)
    _reports(auditor, 10)
    at_ten = _list_queries(client, django_assert_max_num_queries, count_queries)
    _reports(auditor, 990)

    with django_assert_max_num_queries(at_ten):
        response = client.get(reverse("reports:report_list"))

    assert response.status_code == 200
    assert response.content.decode().count('class="badge report-status report-status-queued"') == 50


def test_the_request_form_queues_a_report_and_goes_to_its_page(framework, auditor, sent_tasks, django_capture_on_commit_callbacks):
    client = verified_client(auditor)
    page = client.get(reverse("reports:report_request"))
    assert page.status_code == 200
    assert 'name="sections" value="summary"' in page.content.decode() and 'name="frameworks" value="demo"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:report_request"),
            {"period_start": "2026-01-01", "period_end": "2026-06-30", "frameworks": ["demo"], "sections": ["summary", "audit"]},
        )

    report = AuditReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:report_detail", args=[report.pk])
    assert sent_tasks == [("reports.generate_report", [report.pk])]
    assert AuditEvent.objects.filter(action="report.requested", target_id=str(report.pk)).exists()


def test_the_request_form_shows_the_services_messages_beside_their_fields(framework, manager):
    response = verified_client(manager).post(
        reverse("reports:report_request"), {"period_start": "2026-06-01", "period_end": "2026-05-01", "frameworks": ["demo"]}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "The period ends (2026-05-01) before it starts (2026-06-01)." in body
    assert "Choose at least one section." in body
    assert not AuditReport.objects.exists()


def test_a_running_report_reloads_itself_and_shows_its_progress_without_script(framework, auditor, sent_tasks):
    report = request(auditor, sections=["summary"])
    services.start_report(report_id=report.pk)
    services.record_progress(report_id=report.pk, progress=40)

    response = verified_client(auditor).get(reverse("reports:report_detail", args=[report.pk]))

    body = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert '<progress id="report-progress" max="100" value="40">40%</progress>' in body
    # A meta refresh is no script: the CSP (script-src 'self', no inline) has no directive that stops it.
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.fixture
def done_report(framework, auditor, sent_tasks):
    report = request(auditor, sections=["summary", "definitions"])
    generate_report.run(report.pk)
    report.refresh_from_db()
    return report


def test_a_done_report_stops_reloading_and_offers_its_downloads(done_report, auditor):
    body = verified_client(auditor).get(reverse("reports:report_detail", args=[done_report.pk])).content.decode()

    assert "http-equiv" not in body and "<progress" not in body
    assert done_report.sha256 in body
    assert reverse("reports:report_pdf", args=[done_report.pk]) in body
    assert reverse("reports:report_signature", args=[done_report.pk]) in body


@pytest.mark.parametrize(
    ("url_name", "content_type", "suffix", "action"),
    [
        ("reports:report_pdf", "application/pdf", ".pdf", "report.downloaded"),
        ("reports:report_signature", "application/json", ".pdf.sig", "report.signature_downloaded"),
    ],
)
def test_downloads_are_attachments_never_cached_and_audited(done_report, manager, url_name, content_type, suffix, action):
    response = verified_client(manager).get(reverse(url_name, args=[done_report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="custos-audit-report-{done_report.pk}{suffix}"'
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"].split(", ")
    event = AuditEvent.objects.get(action=action, target_id=str(done_report.pk))
    assert (event.actor_label, event.data) == ("manager", {"sha256": done_report.sha256})


def test_a_pdf_changed_on_disk_is_not_given_out(done_report, auditor):
    from compliance.reports import storage

    path = storage.stored_path(done_report.stored_name)
    path.write_bytes(path.read_bytes() + b"%tampered")

    response = verified_client(auditor).get(reverse("reports:report_pdf", args=[done_report.pk]), follow=True)

    assert f"The stored file of report #{done_report.pk} no longer matches its recorded SHA-256; do not rely on it." in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.downloaded").exists()


def test_the_integrity_page_shows_the_public_key_and_how_to_verify(make_user):
    from compliance.accounts.roles import Role

    body = verified_client(make_user(Role.DATA_STEWARD)).get(reverse("reports:integrity")).content.decode()

    public_key = signing.encode(signing.public_key_bytes(signing.signing_key().public_key()))
    assert public_key in body and signing.active_key_id() in body
    assert "python manage.py verify_report REPORT.pdf REPORT.pdf.sig" in body


def test_the_navigation_offers_reports_to_managers_and_auditors_only(auditor, dpo):
    link = f'href="{reverse("reports:report_list")}"'

    assert link in verified_client(auditor).get(reverse("reports:integrity")).content.decode()
    assert link not in verified_client(dpo).get(reverse("reports:integrity")).content.decode()
