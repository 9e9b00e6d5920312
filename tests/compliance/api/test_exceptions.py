"""One JSON error format: bad input is a 400 naming each field, never a 500 or an HTML page."""

import logging

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.compliance.api.probe_urls")]


@pytest.fixture
def writer(key_client):
    return key_client("consent:write")[0]


def post(client, data, **kwargs):
    return client.post(reverse("probe_failing"), data, content_type="application/json", **kwargs)


def test_serializer_errors_are_listed_per_field(writer):
    response = post(writer, {"name": "far too long a name", "count": -1})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request has invalid fields: see errors.",
        "code": "invalid",
        "errors": {
            "name": ["Ensure this field has no more than 10 characters."],
            "count": ["Ensure this value is greater than or equal to 0."],
        },
    }


def test_missing_fields_are_named(writer):
    response = post(writer, {})
    assert response.json()["errors"] == {"name": ["This field is required."], "count": ["This field is required."]}


def test_a_services_validation_error_is_the_same_400(writer):
    response = post(writer, {"name": "ok", "count": 1})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request has invalid fields: see errors.",
        "code": "invalid",
        "errors": {
            "scopes": [
                "Unknown scope no:such. Valid scopes: consent:read, consent:write, erasure:write, "
                "erasure:approve, registry:write, training:write, staff_training:write, reports:read, reports:write."
            ]
        },
    }


def test_malformed_json_is_a_400(writer):
    response = post(writer, "{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"].startswith("JSON parse error")


def test_an_unsupported_body_type_is_a_415(writer):
    response = writer.post(reverse("probe_failing"), b"name,count", content_type="text/csv")
    assert response.status_code == 415
    assert response.json() == {
        "detail": 'Unsupported media type "text/csv" in request.',
        "code": "unsupported_media_type",
    }


def test_a_selectors_404_is_json_with_its_message(writer):
    for pk in ("12345", "not-a-number"):
        response = writer.get(reverse("probe_failing"), {"pk": pk})
        assert response.status_code == 404
        assert response.json() == {"detail": "No such API key.", "code": "not_found"}


@pytest.mark.urls("compliance.urls")
@pytest.mark.parametrize("signed_in", [True, False])
def test_an_unknown_api_path_is_a_json_404(writer, client, signed_in):
    response = (writer if signed_in else client).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such API endpoint.", "code": "not_found"}
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_a_bug_is_a_json_500_with_a_support_id_logged(writer, caplog):
    with caplog.at_level(logging.ERROR, logger="custos.errors"):
        response = writer.put(reverse("probe_failing"), {}, content_type="application/json")
    assert response.status_code == 500
    body = response.json()
    support_id = body["support_id"]
    assert body == {
        "detail": f"Something went wrong on our side. Quote support id {support_id} if you report it.",
        "code": "server_error",
        "support_id": support_id,
    }
    [record] = [record for record in caplog.records if support_id in record.getMessage()]
    assert record.exc_info[0] is RuntimeError
