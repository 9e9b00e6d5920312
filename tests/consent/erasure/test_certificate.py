"""The certificate of erasure: rendered once, stored with its sha256 in the audit log, the same file on every download."""

import hashlib

import pytest

from compliance.audit.models import AuditEvent
from consent.erasure import certificate, execution
from consent.erasure.services import ErasureActionRefused, set_legal_hold
from tests.consent.erasure.stores import approve, completed, shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_certificate_is_a_pdf_whose_sha256_is_in_the_audit_log(completed):
    stored = certificate.ensure_certificate(request_id=completed.pk)

    content = stored.path.read_bytes()
    assert content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action="erasure.certificate_issued")
    assert event.data == {"request": completed.reference, "file": stored.name, "sha256": hashlib.sha256(content).hexdigest()}


def test_every_later_download_is_the_same_file_and_is_audited(completed, dpo, auditor):
    first = certificate.certificate_for_download(actor=dpo, request=completed)
    second = certificate.certificate_for_download(actor=auditor, request=completed)

    assert first == second
    assert AuditEvent.objects.filter(action="erasure.certificate_issued").count() == 1
    downloads = AuditEvent.objects.filter(action="erasure.certificate_downloaded").order_by("sequence")
    assert [event.actor_label for event in downloads] == ["dpo", "auditor"]


def test_the_certificate_shows_each_location_its_evidence_and_the_chain_head(completed):
    context = certificate.certificate_context(completed)
    html = certificate.render_to_string("erasure/certificate.html", context)

    completed_event = AuditEvent.objects.get(action="erasure.completed")
    assert context["chain_head"] == completed_event.hash
    assert completed_event.hash in html
    for step in completed.steps.all():
        assert step.evidence["keys_sha256"] in html
    assert completed.clause in html


def test_a_skipped_location_is_shown_with_its_hold(verified, shop_stores, approve, dpo, dataset):
    hold = set_legal_hold(actor=dpo, dataset=dataset, reason="Litigation 2026-114")
    request = approve(verified)
    execution.complete_without_steps(request_id=request.pk)
    request.refresh_from_db()

    html = certificate.render_to_string("erasure/certificate.html", certificate.certificate_context(request))

    assert f"Legal hold #{hold.pk} on dataset Shop customers" in html
    assert "Litigation 2026-114" in html
    assert certificate.ensure_certificate(request_id=request.pk).path.read_bytes().startswith(b"%PDF")


def test_a_request_that_is_not_completed_has_no_certificate(verified, dpo):
    assert certificate.ensure_certificate(request_id=verified.pk) is None
    with pytest.raises(ErasureActionRefused) as refused:
        certificate.certificate_for_download(actor=dpo, request=verified)
    assert refused.value.message == (
        f"Request {verified.reference} is verified; its certificate of erasure exists once it is completed."
    )
