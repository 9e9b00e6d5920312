"""Receipt exports are audited, and an unknown format is refused."""

import pytest
from django.core.exceptions import ValidationError

from compliance.audit.models import AuditEvent
from consent.services import export_event_receipt, export_subject_receipt, record_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(dpo, subject, purpose):
    return record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="app")


def test_a_subject_receipt_export_is_audited(auditor, subject, event):
    document = export_subject_receipt(actor=auditor, subject=subject)

    audit = AuditEvent.objects.get(action="subject.receipt_exported")
    assert document["pii_principal_id"] == "user-1"
    assert (audit.actor_label, audit.target_id, audit.data) == ("auditor", str(subject.pk), {"external_id": "user-1", "format": "iso", "events": 1})


@pytest.mark.parametrize(("receipt_format", "key"), [("iso", "schema_version"), ("kantara", "consentReceiptID")])
def test_an_event_receipt_export_is_audited(manager, event, receipt_format, key):
    document = export_event_receipt(actor=manager, event=event, format=receipt_format)

    audit = AuditEvent.objects.get(action="consent.receipt_exported")
    assert key in document
    assert audit.data == {"subject": "user-1", "purpose": "marketing", "format": receipt_format}


def test_an_unknown_format_is_refused(dpo, event):
    with pytest.raises(ValidationError) as refused:
        export_event_receipt(actor=dpo, event=event, format="pdf")

    assert refused.value.messages == ["Unknown receipt format 'pdf': use iso or kantara."]
    assert not AuditEvent.objects.filter(action="consent.receipt_exported").exists()
