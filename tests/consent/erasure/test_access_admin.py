"""Access records in Django admin: readable by staff, never editable, identifiers and the archive key never shown."""

import pytest
from django.urls import reverse

from compliance.accounts.models import User
from consent.erasure.access_models import AccessReminder, AccessRequest
from tests.conftest import verified_client
from tests.consent.erasure.access_fixtures import access_root, file_access, started  # noqa: F401 (fixtures)
from tests.consent.erasure.stores import shop_stores, store_root  # noqa: F401 (fixtures)
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_reads_access_requests_results_and_reminders_without_identifiers_and_changes_nothing(
    file_access, started, shop_stores, dpo
):
    stranger = started(file_access(identifiers={"email": "someone@example.org"}, requester_contact="Call after 6pm"))
    AccessReminder.objects.create(request=stranger, kind="due_soon", due_at=stranger.due_at, recipient=dpo)
    client = verified_client(User.objects.create_superuser("root", "root@staff.example.org", DEFAULT_PASSWORD))
    secrets = ["someone", "6pm", stranger.email_index, stranger.archive_key]

    pages = {
        "requests": client.get(reverse("admin:erasure_accessrequest_changelist")),
        "request": client.get(reverse("admin:erasure_accessrequest_change", args=[stranger.pk])),
        "results": client.get(reverse("admin:erasure_accessresult_changelist")),
        "reminders": client.get(reverse("admin:erasure_accessreminder_changelist")),
    }

    for page in pages.values():
        content = page.content.decode()
        assert page.status_code == 200
        assert not [secret for secret in secrets if secret in content]
    assert "Running" in pages["request"].content.decode()
    assert f"due_soon reminder for #A{stranger.pk}" in pages["reminders"].content.decode()
    assert client.get(reverse("admin:erasure_accessrequest_add")).status_code == 403
    assert client.post(reverse("admin:erasure_accessrequest_delete", args=[stranger.pk]), {"post": "yes"}).status_code == 403
    assert AccessRequest.objects.count() == 1
