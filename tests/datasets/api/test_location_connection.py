"""POST /api/v1/datasets/{slug}/locations/{id}/test/: the connection report, scopes, and the location's dataset."""

import pytest

from tests.datasets.api.conftest import events, send

pytestmark = pytest.mark.django_db


def endpoint(location, slug: str = "") -> str:
    return f"/api/v1/datasets/{slug or location.dataset.slug}/locations/{location.pk}/test/"


def test_a_key_with_registry_write_gets_the_report(writer, csv_location):
    client, key = writer

    response = send(client, "post", endpoint(csv_location))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "ok": True,
        "message": "Custos reached export and searched it for a subject (0 records of a made-up key found).",
        "retryable": False,
    }
    assert [event.data["ok"] for event in events("storage_location.connection_tested")] == [True]


def test_a_failure_is_a_report_too(writer, csv_location, stores):
    (stores / "customers.csv").unlink()

    response = send(writer[0], "post", endpoint(csv_location))

    assert response.status_code == 200
    assert response.json() == {"ok": False, "message": f"File {stores / 'customers.csv'} does not exist.", "retryable": False}


def test_a_key_without_registry_write_is_refused(key_client, csv_location):
    client, _ = key_client("consent:read")

    response = send(client, "post", endpoint(csv_location))

    assert response.status_code == 403
    assert response.json()["detail"] == "This API key lacks the scope registry:write."
    assert events("storage_location.connection_tested") == []


def test_a_location_under_another_datasets_address_is_not_found(writer, csv_location, make_dataset):
    other = make_dataset("Other data")

    response = send(writer[0], "post", endpoint(csv_location, slug=other.slug))

    assert response.status_code == 404
