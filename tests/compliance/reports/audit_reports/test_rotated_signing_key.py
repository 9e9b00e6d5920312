"""A report signed by a key rotated out (and not kept in SIGNING_PUBLIC_KEYS_EXTRA) is still readable and explained."""

import json

import pytest
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.crypto import signing
from compliance.reports.tasks import generate_report
from tests.compliance.reports.audit_reports.conftest import request
from tests.conftest import verified_client


@pytest.fixture
def rotated_report(framework, auditor, sent_tasks, settings):
    report = request(auditor, sections=["summary", "definitions"])
    generate_report.run(report.pk)
    report.refresh_from_db()
    settings.SIGNING_KEY = signing.new_signing_key()
    settings.SIGNING_PUBLIC_KEYS_EXTRA = []
    return report


def test_the_pdf_of_a_report_signed_by_a_rotated_out_key_still_downloads(rotated_report, auditor):
    response = verified_client(auditor).get(reverse("reports:report_pdf", args=[rotated_report.pk]))

    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="report.downloaded", target_id=str(rotated_report.pk)).exists()


def test_the_report_page_explains_a_rotated_out_key_instead_of_failing(rotated_report, auditor):
    response = verified_client(auditor).get(reverse("reports:report_detail", args=[rotated_report.pk]))

    assert response.status_code == 200


def test_the_signature_of_a_report_signed_by_a_rotated_out_key_is_refused_readably_on_the_page(rotated_report, auditor):
    response = verified_client(auditor).get(reverse("reports:report_signature", args=[rotated_report.pk]), follow=True)

    assert response.status_code == 200
    assert (
        f"Report #{rotated_report.pk} was signed by key {rotated_report.signing_key_id}, which is no longer trusted here: "
        "add its public key to SIGNING_PUBLIC_KEYS_EXTRA."
    ) in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.signature_downloaded").exists()


def test_through_the_api_the_pdf_downloads_and_the_signature_is_refused_with_a_409_that_says_why(rotated_report, manager):
    from compliance.accounts import services as account_services
    from django.test import Client

    _, plaintext = account_services.create_api_key(actor=manager, name="reader", scopes=["reports:read"])
    client = Client(headers={"Authorization": f"Bearer {plaintext}"})

    pdf = client.get(f"/api/v1/reports/{rotated_report.pk}/pdf/")
    sig = client.get(f"/api/v1/reports/{rotated_report.pk}/signature/")

    assert pdf.status_code == 200
    assert sig.status_code in (400, 409), sig.status_code
    assert sig.json()["detail"] == (
        f"Report #{rotated_report.pk} was signed by key {rotated_report.signing_key_id}, which is no longer trusted here: "
        "add its public key to SIGNING_PUBLIC_KEYS_EXTRA."
    )
