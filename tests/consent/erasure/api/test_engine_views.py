"""The engine's API: POST …/discover/ and GET …/certificate/ with their scopes."""

import hashlib
import json

import pytest
from django.test import Client
from django.urls import reverse

from compliance.accounts import services as account_services
from compliance.audit.actors import SYSTEM
from compliance.audit.models import AuditEvent
from tests.consent.erasure.stores import approve, completed, shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def key_client(db):
    def build(*scopes: str):
        _, plaintext = account_services.create_api_key(actor=SYSTEM, name=f"key {'+'.join(scopes)}", scopes=list(scopes))
        return Client(headers={"Authorization": f"Bearer {plaintext}"})

    return build


def test_the_contract_urls():
    assert reverse("api:erasure_request_discover", args=[12]) == "/api/v1/erasure-requests/12/discover/"
    assert reverse("api:erasure_request_certificate", args=[12]) == "/api/v1/erasure-requests/12/certificate/"


def test_discover_needs_erasure_approve_and_answers_202(key_client, verified, django_capture_on_commit_callbacks):
    url = reverse("api:erasure_request_discover", args=[verified.pk])

    refused = key_client("erasure:write").post(url, "", content_type="application/json")
    with django_capture_on_commit_callbacks() as callbacks:
        accepted = key_client("erasure:approve").post(url, "", content_type="application/json")

    assert refused.status_code == 403
    assert "erasure:approve" in json.dumps(refused.json())
    assert accepted.status_code == 202
    assert accepted.json()["id"] == verified.pk
    assert len(callbacks) == 1


def test_discover_after_completion_answers_409_with_the_reason(key_client, completed):
    response = key_client("erasure:approve").post(
        reverse("api:erasure_request_discover", args=[completed.pk]), "", content_type="application/json"
    )

    assert response.status_code == 409
    assert (
        f"Request {completed.reference} is completed; discovery runs before the erasure, while a request is "
        "received, verified or approved." in json.dumps(response.json())
    )


@pytest.mark.parametrize("scope", ["erasure:write", "erasure:approve", "reports:read"])
def test_the_certificate_downloads_with_any_certificate_scope(key_client, completed, scope):
    response = key_client(scope).get(reverse("api:erasure_request_certificate", args=[completed.pk]))

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == AuditEvent.objects.get(action="erasure.certificate_issued").data["sha256"]
    assert AuditEvent.objects.get(action="erasure.certificate_downloaded").actor_type == "api_key"


def test_the_certificate_is_refused_to_a_key_without_those_scopes(key_client, completed):
    response = key_client("consent:write").get(reverse("api:erasure_request_certificate", args=[completed.pk]))

    assert response.status_code == 403
    assert "erasure:write or erasure:approve or reports:read" in json.dumps(response.json())


def test_a_request_not_completed_answers_409(key_client, verified):
    response = key_client("reports:read").get(reverse("api:erasure_request_certificate", args=[verified.pk]))

    assert response.status_code == 409
