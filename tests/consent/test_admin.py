"""Consent records in Django admin: readable by staff, never editable, identifiers never shown."""

import pytest
from django.urls import reverse

from compliance.accounts.models import User
from consent.models import ConsentEvent, DataSubject
from consent.services import record_consent
from tests.conftest import verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_reads_subjects_and_events_without_identifiers_and_changes_nothing(dpo, subject, purpose):
    event = record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="app")
    client = verified_client(User.objects.create_superuser("root", "root@staff.example.org", DEFAULT_PASSWORD))
    token = DataSubject.objects.values_list("email", flat=True).get()

    pages = [
        client.get(reverse("admin:consent_datasubject_changelist")),
        client.get(reverse("admin:consent_datasubject_change", args=[subject.pk])),
        client.get(reverse("admin:consent_consentevent_change", args=[event.pk])),
    ]

    for page in pages:
        content = page.content.decode()
        assert page.status_code == 200
        assert "jane" not in content.lower() and token not in content and subject.email_index not in content
    assert "user-1" in pages[0].content.decode()
    assert client.get(reverse("admin:consent_consentevent_add")).status_code == 403
    assert client.post(reverse("admin:consent_consentevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:consent_purpose_change", args=[purpose.pk]), {"name": "x"}).status_code == 403
    assert ConsentEvent.objects.filter(pk=event.pk).exists()
