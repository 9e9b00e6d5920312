"""The registry in Django admin: readable by staff, changed only through the services, secrets never shown."""

import pytest
from django.urls import reverse

from compliance.accounts.models import User
from datasets.models import StorageLocation
from datasets.services import add_storage_location
from tests.conftest import verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

PASSWORD = "adm1n-v1ew-secret"


def test_admin_lists_locations_without_their_connection_settings_and_offers_no_edits(dataset, dpo):
    location = add_storage_location(
        actor=dpo, dataset=dataset, name="db", kind="postgresql", url=f"postgresql://app:{PASSWORD}@db/shop", table="t", subject_key="email"
    )
    client = verified_client(User.objects.create_superuser("root", "root@staff.example.org", DEFAULT_PASSWORD))

    listing = client.get(reverse("admin:datasets_storagelocation_changelist"))
    page = client.get(reverse("admin:datasets_storagelocation_change", args=[location.pk]))

    assert listing.status_code == page.status_code == 200
    token = StorageLocation.objects.values_list("connection", flat=True).get()
    for response in (listing, page):
        content = response.content.decode()
        assert PASSWORD not in content and token not in content
    assert "postgresql://app:***@db/shop" in listing.content.decode()
    assert client.get(reverse("admin:datasets_dataset_add")).status_code == 403
    assert client.post(reverse("admin:datasets_dataset_delete", args=[dataset.pk]), {"post": "yes"}).status_code == 403
