"""POST/GET /api/v1/purposes/ and /api/v1/purposes/{code}/notices/: keys, scopes, sessions, errors, audit, sha256."""

import hashlib

import pytest

from compliance.accounts.roles import Role
from consent.models import PrivacyNotice, Purpose
from tests.consent.api.conftest import READER, WRITER, errors_of, events, send

pytestmark = pytest.mark.django_db

PURPOSES = "/api/v1/purposes/"


def notices(code: str) -> str:
    return f"/api/v1/purposes/{code}/notices/"


def test_a_key_creates_a_purpose_and_the_audit_log_names_it(key_client):
    client, key = key_client(*WRITER, name="consent platform")
    response = send(client, "post", PURPOSES, {"code": "model-training", "name": "Model training", "lawful_basis": "consent"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert {name: body[name] for name in ("code", "name", "description", "lawful_basis", "consent_required", "active")} == {
        "code": "model-training",
        "name": "Model training",
        "description": "",
        "lawful_basis": "consent",
        "consent_required": True,
        "active": True,
    }
    [event] = events("purpose.created")
    assert (event.actor_type, event.actor_id, event.target_id) == ("api_key", str(key.pk), str(Purpose.objects.get().pk))


def test_the_list_is_paginated_by_name(key_client, dpo):
    from consent.services import create_purpose

    for code, name in (("b", "Beta"), ("a", "Alpha"), ("c", "Gamma")):
        create_purpose(actor=dpo, code=code, name=name, lawful_basis="legitimate_interests", consent_required=False)
    client, _ = key_client(*READER)
    page = client.get(PURPOSES, {"limit": 2}).json()
    assert page["count"] == 3
    assert [row["code"] for row in page["results"]] == ["a", "b"]
    assert page["next"].endswith("?limit=2&offset=2")


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"code": "Bad Code", "name": "X", "lawful_basis": "consent"},
            {
                "code": [
                    "'Bad Code' is not a purpose code: use up to 64 lower-case letters, digits, hyphens and underscores,"
                    " starting with a letter or digit, for example model-training."
                ]
            },
        ),
        (
            {"code": "x", "name": "X", "lawful_basis": "because"},
            {
                "lawful_basis": [
                    '"because" is not a valid code. Use one of: consent, contract, legal_obligation, vital_interests,'
                    " public_task, legitimate_interests."
                ]
            },
        ),
        (
            {"code": "x", "name": "X", "lawful_basis": "consent", "consent_required": False},
            {"consent_required": ["A purpose whose lawful basis is consent always requires consent."]},
        ),
        (
            {"code": "x", "name": "X", "lawful_basis": "consent", "colour": "red"},
            {"colour": ["Unknown field. The fields accepted here are: code, name, description, lawful_basis, consent_required."]},
        ),
        ({"name": "X", "lawful_basis": "consent"}, {"code": ["This field is required."]}),
    ],
)
def test_bad_purposes_are_refused_naming_the_field(key_client, payload, errors):
    client, _ = key_client(*WRITER)
    assert errors_of(send(client, "post", PURPOSES, payload)) == errors
    assert not Purpose.objects.exists()


def test_a_taken_code_is_refused(key_client, purpose):
    client, _ = key_client(*WRITER)
    response = send(client, "post", PURPOSES, {"code": "marketing", "name": "Again", "lawful_basis": "consent"})
    assert errors_of(response) == {"code": ["A purpose with the code 'marketing' already exists."]}


@pytest.mark.parametrize(("scopes", "method", "missing"), [(["registry:write"], "get", "consent:read"), (READER, "post", "consent:write")])
def test_a_key_without_the_scope_is_refused_naming_it(key_client, scopes, method, missing):
    client, _ = key_client(*scopes)
    response = send(client, method, PURPOSES, {"code": "x", "name": "X", "lawful_basis": "consent"} if method == "post" else None)
    assert response.status_code == 403
    assert response.json() == {"detail": f"This API key lacks the scope {missing}.", "code": "permission_denied"}


def test_people_act_with_their_roles(client_for):
    dpo_client, _ = client_for(Role.DPO)
    created = send(dpo_client, "post", PURPOSES, {"code": "analytics", "name": "Analytics", "lawful_basis": "legitimate_interests", "consent_required": False})
    assert created.status_code == 201 and created.json()["consent_required"] is False

    manager, _ = client_for(Role.COMPLIANCE_MANAGER)
    assert [row["code"] for row in manager.get(PURPOSES).json()["results"]] == ["analytics"]
    refused = send(manager, "post", PURPOSES, {"code": "x", "name": "X", "lawful_basis": "consent"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Your role cannot create purposes: it needs the permission consent.add_purpose."

    engineer, _ = client_for(Role.ML_ENGINEER)
    assert engineer.get(PURPOSES).json()["detail"] == "Your role cannot read purposes: it needs the permission consent.view_purpose."


# --- notices ------------------------------------------------------------------------------------


def test_a_notice_is_published_with_the_sha256_of_its_text(key_client, purpose):
    client, key = key_client(*WRITER)
    text = "We use your purchases to suggest offers.\n"
    response = send(
        client, "post", notices("marketing"), {"version": "v2", "language": "de-DE", "effective_at": "2025-03-01T00:00:00Z", "text": text}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(text.strip().encode()).hexdigest()
    assert (body["version"], body["language"], body["effective_at"], body["url"]) == ("v2", "de-DE", "2025-03-01T00:00:00Z", "")
    event = events("notice.published")[-1]
    assert (event.actor_type, event.data["sha256"]) == ("api_key", body["sha256"])
    assert PrivacyNotice.objects.get(version="v2").created_by is None


def test_a_notice_by_url_alone_is_pinned_by_the_url(key_client, purpose):
    client, _ = key_client(*WRITER)
    url = "https://example.org/privacy/v3"
    body = send(client, "post", notices("marketing"), {"version": "v3", "url": url}).json()
    assert body["sha256"] == hashlib.sha256(url.encode()).hexdigest()


def test_notices_are_listed_newest_first(key_client, purpose):
    client, _ = key_client(*WRITER)
    send(client, "post", notices("marketing"), {"version": "v2", "text": "Second."})
    assert [row["version"] for row in client.get(notices("marketing")).json()["results"]] == ["v2", "v1"]


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"version": "v1", "text": "Again."}, {"version": ["marketing already has a notice version v1; notices are never changed, so publish a new version."]}),
        ({"version": "v2"}, {"text": ["Give the notice's text or its URL."]}),
        ({"version": "v2", "text": "x", "effective_at": "2025-03-01T00:00:00"}, {"effective_at": ["Give the date and time with its time zone, for example 2026-03-01T09:30:00Z."]}),
        ({"version": "v2", "url": "ftp://example.org"}, {"url": ["Give the notice's address as a full http or https URL."]}),
    ],
)
def test_bad_notices_are_refused(key_client, purpose, payload, errors):
    client, _ = key_client(*WRITER)
    assert errors_of(send(client, "post", notices("marketing"), payload)) == errors


def test_an_unknown_purpose_has_no_notices(key_client):
    client, _ = key_client(*WRITER)
    response = client.get(notices("nowhere"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such purpose.", "code": "not_found"}
