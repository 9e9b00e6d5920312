"""The "Test connection" button of the locations tab."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def button_url(location) -> str:
    return reverse("datasets:location_test", kwargs={"slug": location.dataset.slug, "pk": location.pk})


def test_the_locations_tab_offers_the_test_to_those_who_may_edit(client_of, csv_location, steward):
    response = client_of(steward).get(reverse("datasets:locations", kwargs={"slug": csv_location.dataset.slug}))

    assert response.status_code == 200
    assert f'action="{button_url(csv_location)}"' in response.content.decode()


def test_a_working_connection_is_reported_on_the_locations_tab(client_of, csv_location, steward, last_event):
    response = client_of(steward).post(button_url(csv_location), follow=True)

    assert response.redirect_chain == [(reverse("datasets:locations", kwargs={"slug": csv_location.dataset.slug}), 302)]
    assert (
        "Location export: the connection works. Custos reached export and searched it for a subject (0 records of a made-up key found)."
        in response.content.decode()
    )
    assert last_event("storage_location.connection_tested").data["ok"] is True


def test_a_failed_connection_shows_why(client_of, csv_location, steward, stores, last_event):
    (stores / "customers.csv").unlink()

    response = client_of(steward).post(button_url(csv_location), follow=True)

    message = f"Location export: the connection failed. File {stores / 'customers.csv'} does not exist."
    assert message in response.content.decode()
    assert last_event("storage_location.connection_tested").data["ok"] is False


def test_a_steward_not_granted_the_dataset_cannot_test_it(client_of, csv_location, other_steward, last_event):
    response = client_of(other_steward).post(button_url(csv_location))

    assert response.status_code == 404
    assert last_event("storage_location.connection_tested") is None
