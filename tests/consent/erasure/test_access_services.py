"""Access request intake, verification and rejection: clocks, encrypted identifiers, states refused with a reason."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from compliance.audit.models import AuditEvent
from consent.erasure import access_services
from consent.erasure.access_models import AccessResultStatus, AccessStatus
from consent.erasure.services import ErasureActionRefused
from tests.consent.erasure.access_fixtures import access_root, file_access, started  # noqa: F401 (fixtures)
from tests.consent.erasure.stores import shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("regulation", "clause", "due"),
    [
        ("gdpr", "GDPR Art. 15", datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=LONDON)),
        ("ccpa", "CCPA §1798.110", datetime(2026, 3, 17, 23, 59, 59, 999999, tzinfo=LONDON)),
    ],
)
def test_the_clause_and_due_date_follow_the_regulation(file_access, subject, regulation, clause, due):
    request = file_access(subject=subject, regulation=regulation, received_at=datetime(2026, 1, 31, 10, tzinfo=LONDON))

    assert (request.clause, request.due_at) == (clause, due)
    assert request.reference == f"#A{request.pk}"


def test_identifiers_and_contact_are_encrypted_at_rest(file_access):
    request = file_access(identifiers={"email": "Ann@Example.org"}, requester_contact="Flat 2, 1 High St")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT email, requester_contact, email_index FROM erasure_accessrequest WHERE id = %s", [request.pk]
        )
        row = cursor.fetchone()
    assert "ann@example.org" not in row[0].lower() and "High St" not in row[1] and row[2]
    request.refresh_from_db()
    assert (request.email, request.requester_contact) == ("ann@example.org", "Flat 2, 1 High St")
    event = AuditEvent.objects.get(action="access.received")
    assert event.data["identifiers"] == ["email"] and "ann@" not in str(event.data)


def test_verification_records_the_evidence_and_one_result_per_location(file_access, started, subject, shop_stores):
    request = started(file_access(subject=subject))

    assert request.status == AccessStatus.RUNNING and request.archive_key
    assert (request.verification_method, request.verification_note, request.verified_by) == ("id_document", "Passport seen", "dpo")
    assert {r.location_id: r.status for r in request.results.all()} == {
        shop_stores["sqlite"].pk: AccessResultStatus.PENDING,
        shop_stores["csv"].pk: AccessResultStatus.PENDING,
    }
    assert AuditEvent.objects.get(action="access.started").data == {
        "request": request.reference, "locations": 2, "not_applicable": 0,
    }


def test_a_request_is_verified_once(file_access, started, subject, dpo):
    request = started(file_access(subject=subject))

    with pytest.raises(ErasureActionRefused) as refused:
        access_services.verify_access_request(actor=dpo, request=request, method="other", evidence_note="again")
    assert refused.value.message == f"Access request {request.reference} is running; only received requests can be verified."


def test_a_running_request_cannot_be_rejected(file_access, started, subject, dpo):
    request = started(file_access(subject=subject))

    with pytest.raises(ErasureActionRefused, match="is running; only received or verified requests can be rejected"):
        access_services.reject_access_request(actor=dpo, request=request, reason="exemption", clause="GDPR Art. 15(4)")


def test_rejection_checks_its_fields(file_access, subject, dpo):
    request = file_access(subject=subject)

    with pytest.raises(ValidationError) as invalid:
        access_services.reject_access_request(actor=dpo, request=request, reason="legal_hold", clause="")
    assert invalid.value.message_dict["reason"] == ["A legal hold stops erasure, not access: the person may still see their data."]
    assert "clause" in invalid.value.message_dict
    request.refresh_from_db()
    assert request.status == AccessStatus.RECEIVED


def test_an_assignee_must_be_able_to_handle_access_requests(file_access, subject, manager):
    with pytest.raises(ValidationError) as invalid:
        file_access(subject=subject, assignee=manager)
    assert invalid.value.message_dict["assignee"] == ["manager cannot handle access requests; choose a DPO."]
