"""Erasure records in Django admin: readable by staff, never editable, identifiers never shown."""

import pytest
from django.urls import reverse

from compliance.accounts.models import User
from consent.erasure.models import ErasureRequest
from tests.conftest import verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_reads_requests_without_identifiers_and_changes_nothing(make_request, verified):
    stranger = make_request(identifiers={"email": "someone@example.org"}, requester_contact="Call after 6pm")
    client = verified_client(User.objects.create_superuser("root", "root@staff.example.org", DEFAULT_PASSWORD))

    pages = [
        client.get(reverse("admin:erasure_erasurerequest_changelist")),
        client.get(reverse("admin:erasure_erasurerequest_change", args=[stranger.pk])),
        client.get(reverse("admin:erasure_legalhold_changelist")),
        client.get(reverse("admin:erasure_erasurestep_changelist")),
    ]

    for page in pages:
        content = page.content.decode()
        assert page.status_code == 200
        assert "someone" not in content and "6pm" not in content and stranger.email_index not in content
    assert client.get(reverse("admin:erasure_erasurerequest_add")).status_code == 403
    assert client.post(reverse("admin:erasure_erasurerequest_delete", args=[verified.pk]), {"post": "yes"}).status_code == 403
    assert ErasureRequest.objects.count() == 2
