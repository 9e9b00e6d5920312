"""The engine's pages: Discover and Retry buttons, the live refresh, the certificate download."""

import hashlib

import pytest
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from consent.erasure import execution
from consent.erasure.models import RequestStatus
from tests.brokers import closed_port
from tests.conftest import verified_client
from tests.consent.erasure.stores import approve, shop_stores, store_root  # noqa: F401 (fixtures)
from datasets.services import add_storage_location

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(dpo):
    return verified_client(dpo)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _detail(request) -> str:
    return reverse("erasure:request_detail", args=[request.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_discover_starts_discovery_and_says_so(client, verified, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("erasure:request_discover", args=[verified.pk]), follow=True)

    assert _messages(response) == [
        f"Discovery of request {verified.reference} started: the counts appear below as the locations answer."
    ]
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="erasure.discovery_requested").count() == 1


def test_the_page_offers_discover_before_approval_and_refreshes_itself_while_running(client, verified, shop_stores, approve):
    page = client.get(_detail(verified)).content.decode()
    assert reverse("erasure:request_discover", args=[verified.pk]) in page
    assert 'http-equiv="refresh"' not in page

    approve(verified)
    page = client.get(_detail(verified)).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page


def test_a_failed_request_offers_retry_which_runs_it_again(client, verified, dataset, dpo, approve, settings, django_capture_on_commit_callbacks):
    settings.ERASURE_MAX_ATTEMPTS = 1
    location = add_storage_location(
        actor=dpo, dataset=dataset, name="warehouse", kind="postgresql",
        url=f"postgresql://postgres@127.0.0.1:{closed_port()}/shop", table="customers", subject_key="external_id",
    )
    request = approve(verified)
    execution.run_step(step_id=request.steps.get(location=location).pk)
    page = client.get(_detail(request)).content.decode()
    assert reverse("erasure:request_retry", args=[request.pk]) in page

    with django_capture_on_commit_callbacks():
        response = client.post(reverse("erasure:request_retry", args=[request.pk]), follow=True)

    assert _messages(response) == [f"Request {request.reference}'s failed steps run again."]
    request.refresh_from_db()
    assert request.status == RequestStatus.RUNNING


def test_the_certificate_downloads_as_the_stored_pdf_for_auditors_too(client_for, verified, shop_stores, approve):
    request = approve(verified)
    for step in request.steps.all():
        execution.run_step(step_id=step.pk)
    auditor_client, _ = client_for(Role.AUDITOR)

    response = auditor_client.get(reverse("erasure:request_certificate", args=[request.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    issued = AuditEvent.objects.get(action="erasure.certificate_issued")
    assert hashlib.sha256(content).hexdigest() == issued.data["sha256"]
    assert AuditEvent.objects.filter(action="erasure.certificate_downloaded").count() == 1


def test_a_request_not_completed_has_no_certificate_to_download(client, verified):
    response = client.get(reverse("erasure:request_certificate", args=[verified.pk]), follow=True)

    assert _messages(response) == [
        f"Request {verified.reference} is verified; its certificate of erasure exists once it is completed."
    ]
