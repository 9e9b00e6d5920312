"""Matrix rows for the consent pages (consent/urls.py)."""

from datetime import timedelta

from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from consent.services import create_purpose, publish_notice, record_consent, upsert_subject
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase

SETUP = SystemActor("matrix")
# Only the DPO (and an administrator) records, reveals and manages purposes.
DPO_ONLY = frozenset({Role.DPO.value, ADMIN})


def _purpose():
    purpose = create_purpose(actor=SETUP, code="marketing", name="Marketing", lawful_basis="consent")
    publish_notice(actor=SETUP, purpose=purpose, version="v1", text="Offers by email.", effective_at=timezone.now() - timedelta(days=1))
    return purpose


def _subject(user) -> dict:
    upsert_subject(actor=SETUP, external_id="matrix-subject", email="someone@example.org")
    return {"external_id": "matrix-subject"}


def _purpose_code(user) -> dict:
    return {"code": _purpose().code}


def _granted() -> tuple:
    subject = upsert_subject(actor=SETUP, external_id="matrix-subject").subject
    event = record_consent(actor=SETUP, subject=subject, purpose=_purpose(), status="granted", notice_version="v1", collection_method="paper")
    return subject, event


def _withdrawable(user) -> dict:
    subject, event = _granted()
    return {"external_id": subject.external_id, "purpose_code": event.purpose.code}


def _event(user) -> dict:
    return {"pk": _granted()[1].pk}


CASES = [
    UrlCase("consent:subject_search", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("consent:subject_detail", allowed=STAFF_READERS, denied=(403,), setup=_subject),
    # Reveal shows the identifiers on its own response: 200 to a POST.
    UrlCase("consent:subject_reveal", allowed=DPO_ONLY, denied=(403,), setup=_subject, method="post"),
    UrlCase("consent:subject_receipt", allowed=STAFF_READERS, denied=(403,), setup=_subject),
    # An empty form comes back with its errors.
    UrlCase("consent:record", allowed=DPO_ONLY, denied=(403,), setup=_subject, method="post"),
    # Without a reason the withdrawal is refused with a message, back on the subject's page.
    UrlCase("consent:withdraw", allowed=DPO_ONLY, denied=(403,), setup=_withdrawable, method="post", status=302),
    UrlCase("consent:event_receipt", allowed=STAFF_READERS, denied=(403,), setup=_event),
    UrlCase("consent:purpose_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("consent:purpose_create", allowed=DPO_ONLY, denied=(403,)),
    UrlCase("consent:purpose_detail", allowed=STAFF_READERS, denied=(403,), setup=_purpose_code),
    UrlCase("consent:purpose_edit", allowed=DPO_ONLY, denied=(403,), setup=_purpose_code),
    UrlCase("consent:notice_create", allowed=DPO_ONLY, denied=(403,), setup=_purpose_code),
]
