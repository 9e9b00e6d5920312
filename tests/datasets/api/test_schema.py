"""The registry's endpoints are listed at /api/v1/ and described in the OpenAPI schema, secrets as write-only."""

import pytest
import yaml

from compliance.accounts.roles import Role
from datasets.models import DataCategory, LawfulBasis, Regulation, Sensitivity

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "dataset_list": "/api/v1/datasets/",
    "dataset_detail": "/api/v1/datasets/{slug}/",
    "dataset_locations": "/api/v1/datasets/{slug}/locations/",
    "dataset_versions": "/api/v1/datasets/{slug}/versions/",
    "model_list": "/api/v1/models/",
    "model_detail": "/api/v1/models/{slug}/",
    "training_run_list": "/api/v1/training-runs/",
    "training_run_detail": "/api/v1/training-runs/{pk}/",
    "training_run_finish": "/api/v1/training-runs/{pk}/finish/",
}


@pytest.fixture
def schema(client_for):
    client, _ = client_for(Role.DPO)
    return yaml.safe_load(client.get("/api/v1/schema/").content)


def test_the_root_lists_the_registry_endpoints(key_client):
    client, _ = key_client("consent:read")
    assert ENDPOINTS.items() <= client.get("/api/v1/").json()["endpoints"].items()


def test_every_operation_is_in_the_schema(schema):
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert {
        ("/api/v1/datasets/", "get"),
        ("/api/v1/datasets/", "post"),
        ("/api/v1/datasets/{slug}/", "get"),
        ("/api/v1/datasets/{slug}/", "patch"),
        ("/api/v1/datasets/{slug}/locations/", "get"),
        ("/api/v1/datasets/{slug}/locations/", "post"),
        ("/api/v1/datasets/{slug}/versions/", "get"),
        ("/api/v1/datasets/{slug}/versions/", "post"),
        ("/api/v1/models/", "get"),
        ("/api/v1/models/", "post"),
        ("/api/v1/models/{slug}/", "get"),
        ("/api/v1/models/{slug}/", "patch"),
        ("/api/v1/training-runs/", "get"),
        ("/api/v1/training-runs/", "post"),
        ("/api/v1/training-runs/{id}/", "get"),
        ("/api/v1/training-runs/{id}/finish/", "post"),
    } <= operations
    assert ("/api/v1/datasets/{slug}/", "put") not in operations


def test_the_schema_gives_the_contracts_codes(schema):
    components = schema["components"]["schemas"]
    request = components["DatasetRequest"]
    assert request["required"] == ["name"]

    def codes(name):
        field = request["properties"][name]
        reference = field.get("items", field)["$ref"].rsplit("/", 1)[1]
        return components[reference]["enum"]

    assert codes("data_categories") == DataCategory.values
    assert codes("sensitivity") == Sensitivity.values
    assert codes("regulations") == Regulation.values
    assert codes("lawful_bases") == LawfulBasis.values


def test_secrets_are_in_requests_only(schema):
    components = schema["components"]["schemas"]
    secrets = {"url", "access_key_id", "secret_access_key"}
    assert secrets <= set(components["StorageLocationRequest"]["properties"])
    assert not secrets & set(components["StorageLocation"]["properties"])
    assert "target" in components["StorageLocation"]["properties"]


def test_lists_are_paginated_by_limit_and_offset(schema):
    operation = schema["paths"]["/api/v1/datasets/"]["get"]
    assert {"limit", "offset", "category", "status"} <= {parameter["name"] for parameter in operation["parameters"]}
    page = schema["components"]["schemas"]["PaginatedDatasetList"]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])


def test_run_requests_nest_privacy_and_name_versions(schema):
    run = schema["components"]["schemas"]["TrainingRunRequest"]
    assert set(run["required"]) == {"model", "dataset_versions", "started_at"}
    assert run["properties"]["dataset_versions"]["items"]["type"] == "string"
    privacy = schema["components"]["schemas"]["PrivacyRequest"]["properties"]
    assert set(privacy) == {"technique", "epsilon", "delta", "accountant", "k"}


@pytest.mark.parametrize("url", ["/api/v1/datasets/", "/api/v1/datasets/{slug}/locations/", "/api/v1/datasets/{slug}/versions/", "/api/v1/models/", "/api/v1/training-runs/"])
def test_options_describes_an_endpoint_without_error(writer, dataset, url):
    client, _ = writer
    response = client.options(url.format(slug=dataset.slug))
    assert response.status_code == 200
    assert response.json()["renders"] == ["application/json"]
