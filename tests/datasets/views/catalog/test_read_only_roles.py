"""Auditors and compliance managers read every dataset and change none: every write URL answers 403."""

import pytest
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.services import add_storage_location, archive_dataset

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMPLIANCE_MANAGER])
def test_every_write_url_refuses_readers(role, client_for, dataset, make_dataset, steward, other_steward):
    archived = archive_dataset(actor=steward, dataset=make_dataset("Old", owner=steward))
    location = add_storage_location(
        actor=steward, dataset=dataset, name="db", kind="postgresql", url="postgresql://a:b@h/db", table="t", subject_key="email"
    )
    slug = {"slug": dataset.slug}
    posts = [
        (reverse("datasets:create"), {"name": "X"}),
        (reverse("datasets:import"), {"content": "name\nX\n", "format": "csv", "action": "apply"}),
        (reverse("datasets:edit", kwargs=slug), {"name": "X"}),
        (reverse("datasets:archive", kwargs=slug), {}),
        (reverse("datasets:restore", kwargs={"slug": archived.slug}), {}),
        (reverse("datasets:access_grant", kwargs=slug), {"user": other_steward.pk, "level": "view"}),
        (reverse("datasets:access_revoke", kwargs=slug), {"user": steward.pk}),
        (reverse("datasets:location_create", kwargs=slug) + "?kind=redis", {"name": "r", "url": "redis://h/0", "key_pattern": "u:{key}"}),
        (reverse("datasets:location_edit", kwargs={**slug, "pk": location.pk}), {"name": "renamed"}),
        (reverse("datasets:location_delete", kwargs={**slug, "pk": location.pk}), {}),
    ]
    client, _ = client_for(role)
    writes_before = AuditEvent.objects.exclude(action="auth.permission_denied").count()

    for url, data in posts:
        assert client.post(url, data).status_code == 403, url

    assert AuditEvent.objects.exclude(action="auth.permission_denied").count() == writes_before
    assert AuditEvent.objects.filter(action="auth.permission_denied").count() == len(posts)
    dataset.refresh_from_db()
    location.refresh_from_db()
    assert (dataset.name, dataset.status, location.name) == ("Shop customers", "active", "db")
