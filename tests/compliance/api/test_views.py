"""The API's own endpoints: the endpoint list and who am I."""

from datetime import date

import pytest
from django.urls import include, path

from compliance.accounts import api_keys
from compliance.accounts.roles import Role
from compliance.api.views import MeView, endpoint_routes

pytestmark = pytest.mark.django_db


def test_the_root_lists_the_endpoints(key_client):
    client, _ = key_client("reports:read")
    response = client.get("/api/v1/")
    assert response.status_code == 200
    endpoints = response.json()["endpoints"]
    assert {"me": "/api/v1/me/", "schema": "/api/v1/schema/", "docs": "/api/v1/docs/"}.items() <= endpoints.items()
    assert "root" not in endpoints


def test_endpoints_with_parameters_are_listed_as_templates():
    nested = [path("<int:pk>/receipt/", MeView.as_view(), name="receipt")]
    patterns = [
        path("datasets/<slug:slug>/", MeView.as_view(), name="dataset_detail"),
        path("subjects/<str:external_id>/", include(nested)),
        path("unnamed/", MeView.as_view()),
    ]
    assert endpoint_routes(patterns, "/api/v1/") == {
        "dataset_detail": "/api/v1/datasets/{slug}/",
        "receipt": "/api/v1/subjects/{external_id}/{pk}/receipt/",
    }


def test_me_tells_a_pipeline_its_keys_scopes_and_expiry(key_client, frozen_time):
    client, key = key_client("training:write", name="hr sync", expires_at=api_keys.end_of_day(date(2025, 6, 30)))
    assert client.get("/api/v1/me/").json() == {
        "type": "api_key",
        "name": "hr sync",
        "scopes": ["training:write"],
        "expires_at": "2025-06-30T23:59:59+01:00",
    }


def test_me_shows_an_administrator_with_no_role(client_for):
    client, user = client_for(None, is_staff=True, is_superuser=True)
    assert client.get("/api/v1/me/").json() == {"type": "user", "name": user.username, "roles": []}
