"""Helpers for the registry API tests: clients with API keys, JSON requests, the error format, audit events."""

import json

import pytest
from django.test import Client

from compliance.accounts import services as account_services
from compliance.audit.actors import SYSTEM
from compliance.audit.models import AuditEvent


INVALID = "The request has invalid fields: see errors."


def errors_of(response) -> dict:
    """Assert ``response`` is the API's 400 for invalid fields and return its errors (field → messages)."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["detail"], body["code"]) == (INVALID, "invalid")
    return body["errors"]


def send(client: Client, method: str, url: str, data=None, **kwargs):
    """Send ``data`` as a JSON body with ``method`` (post, patch…) and return the response."""
    return getattr(client, method)(url, json.dumps(data) if data is not None else "", content_type="application/json", **kwargs)


@pytest.fixture
def key_client(db):
    """Factory fixture: ``key_client("registry:write")`` returns (client, key) for a new key with those scopes."""
    made = []

    def build(*scopes: str, name: str = ""):
        key, plaintext = account_services.create_api_key(
            actor=SYSTEM, name=name or f"pipeline {len(made) + 1}", scopes=list(scopes) or ["consent:read"]
        )
        made.append(key)
        return Client(headers={"Authorization": f"Bearer {plaintext}"}), key

    return build


@pytest.fixture
def writer(key_client):
    """(client, key) for a pipeline key holding registry:write."""
    return key_client("registry:write", name="pipeline")


def events(action: str) -> list[AuditEvent]:
    """Return the audit events of ``action``, oldest first."""
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def all_audit_payloads() -> str:
    """Return every audit event's payload as one JSON text (to search for secrets)."""
    return json.dumps([event.data for event in AuditEvent.objects.order_by("sequence")])
