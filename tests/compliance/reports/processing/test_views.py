"""The record of processing page and its audited PDF, CSV and JSON Lines downloads."""

import csv
import io
import json

import pytest
from django.urls import reverse
from pypdf import PdfReader

from compliance.audit.exports import BYTE_ORDER_MARK
from compliance.audit.models import AuditEvent
from compliance.reports.processing.activities import COLUMNS
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db
URL = "reports:record_of_processing"


def test_the_page_shows_each_activity_with_missing_entries_flagged(organisation, auditor):
    response = verified_client(auditor).get(reverse(URL))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Record of processing activities" in html
    assert "2 activities, 2 with registry entries missing" in html
    assert '<span class="flag-missing">Missing: retention period</span>' in html
    assert "365 days, then delete" in html
    assert '?format=pdf' in html and '?format=csv' in html
    # Viewing is not a download.
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_the_pdf_download_is_audited_with_its_sha256(organisation, auditor):
    response = verified_client(auditor).get(reverse(URL), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="custos-record-of-processing-')
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Record of processing activities" in text and "Missing: retention period" in text
    assert "page 1 of" in text
    import hashlib

    event = AuditEvent.objects.get(action="export.downloaded")
    assert event.data["register"] == "record-of-processing" and event.data["format"] == "pdf"
    assert event.data["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert event.data["activities"] == 2


def test_the_csv_download_streams_every_activity_audited(organisation, dpo):
    response = verified_client(dpo).get(reverse(URL), {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text.removeprefix(BYTE_ORDER_MARK), newline="")))
    assert list(rows[0]) == list(COLUMNS)
    shop = next(row for row in rows if row["dataset"] == "shop")
    assert shop["dataset_name"] == "'=HYPERLINK(\"http://evil\")"
    assert shop["retention"] == "365 days, then delete"
    assert AuditEvent.objects.get(action="export.downloaded").data == {
        "register": "record-of-processing", "format": "csv", "filters": {}
    }
    response = verified_client(dpo).get(reverse(URL), {"format": "jsonl"})
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert {line["activity"] for line in lines} == {"shop/marketing", "clicks/-"}


def test_an_unknown_format_is_explained(dpo):
    response = verified_client(dpo).get(reverse(URL), {"format": "docx"})
    assert response.status_code == 400
    assert "Download the record as pdf, csv, jsonl, not &#x27;docx&#x27;." in response.content.decode()
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_a_steward_is_refused(make_user):
    from compliance.accounts.roles import Role

    response = verified_client(make_user(Role.DATA_STEWARD)).get(reverse(URL))
    assert response.status_code == 403
