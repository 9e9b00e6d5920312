"""The consent endpoints are listed at /api/v1/ and described in the OpenAPI schema."""

import pytest
import yaml

from compliance.accounts.roles import Role

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "purpose_list": "/api/v1/purposes/",
    "purpose_notices": "/api/v1/purposes/{code}/notices/",
    "subject_upsert": "/api/v1/subjects/",
    "subject_detail": "/api/v1/subjects/{external_id}/",
    "subject_consents": "/api/v1/subjects/{external_id}/consents/",
    "subject_receipt": "/api/v1/subjects/{external_id}/receipt/",
    "consent_record": "/api/v1/consents/",
    "consent_check": "/api/v1/consents/check",
    "consent_import_list": "/api/v1/consents/imports/",
    "consent_import_detail": "/api/v1/consents/imports/{pk}/",
    "consent_import_errors": "/api/v1/consents/imports/{pk}/errors/",
}


@pytest.fixture
def schema(client_for):
    client, _ = client_for(Role.DPO)
    return yaml.safe_load(client.get("/api/v1/schema/").content)


def test_the_root_lists_the_consent_endpoints(key_client):
    client, _ = key_client("consent:read")
    assert ENDPOINTS.items() <= client.get("/api/v1/").json()["endpoints"].items()


def test_every_operation_is_in_the_schema(schema):
    operations = {(path, method) for path, item in schema["paths"].items() for method in item if method != "parameters"}
    assert {
        ("/api/v1/purposes/", "get"),
        ("/api/v1/purposes/", "post"),
        ("/api/v1/purposes/{code}/notices/", "get"),
        ("/api/v1/purposes/{code}/notices/", "post"),
        ("/api/v1/subjects/", "post"),
        ("/api/v1/subjects/{external_id}/", "get"),
        ("/api/v1/subjects/{external_id}/consents/", "get"),
        ("/api/v1/subjects/{external_id}/receipt/", "get"),
        ("/api/v1/consents/", "post"),
        ("/api/v1/consents/check", "get"),
        ("/api/v1/consents/imports/", "get"),
        ("/api/v1/consents/imports/", "post"),
        ("/api/v1/consents/imports/{id}/", "get"),
        ("/api/v1/consents/imports/{id}/errors/", "get"),
    } <= operations
    assert ("/api/v1/subjects/", "get") not in operations


def test_the_contract_fields_are_described(schema):
    components = schema["components"]["schemas"]
    assert set(components["ConsentCheck"]["properties"]) == {
        "subject", "purpose", "allowed", "status", "occurred_at", "expires_at", "notice_version"
    }
    assert set(components["ConsentRequest"]["required"]) == {"subject", "purpose", "status", "collection_method"}
    status = components["ConsentRequest"]["properties"]["status"]["$ref"].rsplit("/", 1)[1]
    assert components[status]["enum"] == ["granted", "withdrawn", "refused"]
    check = schema["paths"]["/api/v1/consents/check"]["get"]
    assert {parameter["name"] for parameter in check["parameters"]} == {"subject", "purpose"}
    upload = schema["paths"]["/api/v1/consents/imports/"]["post"]
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    assert {"line", "reason"} == set(components["ImportError"]["properties"])
    # Identifiers go in, never come out in clear.
    assert {"email", "phone", "name"} <= set(components["SubjectRequest"]["properties"])
    assert "masked" in components["MaskedSubject"]["properties"]["email"]["description"].lower()
