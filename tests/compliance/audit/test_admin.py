"""Django admin shows the audit tables but offers no way to add, change or delete."""

import pytest
from django.urls import reverse

from compliance.audit.models import AuditCheckpoint, AuditEvent, ChainVerification
from compliance.audit.services import record_checkpoint, record_event
from tests.conftest import verified_client
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    return verified_client(user_with_role(None, is_staff=True, is_superuser=True))


@pytest.fixture
def rows():
    event = record_event(actor=None, action="test.admin")
    checkpoint = record_checkpoint(sequence=event.sequence, hash=event.hash, reason=AuditCheckpoint.Reason.MANUAL)
    verification = ChainVerification.objects.create(intact=True, event_count=event.sequence, head_hash=event.hash)
    return {AuditEvent: event, AuditCheckpoint: checkpoint, ChainVerification: verification}


@pytest.mark.parametrize("model", [AuditEvent, AuditCheckpoint, ChainVerification], ids=lambda model: model.__name__)
def test_even_a_superuser_can_only_look(superuser_client, rows, model):
    row = rows[model]
    name = f"admin:audit_{model._meta.model_name}"

    listing = superuser_client.get(reverse(f"{name}_changelist"))
    shown = superuser_client.get(reverse(f"{name}_change", args=[row.pk]))

    assert listing.status_code == 200
    assert f"{reverse(f'{name}_add')}" not in listing.content.decode()
    assert shown.status_code == 200
    assert 'name="_save"' not in shown.content.decode()
    assert superuser_client.get(reverse(f"{name}_add")).status_code == 403
    assert superuser_client.post(reverse(f"{name}_change", args=[row.pk]), {}).status_code == 403
    assert superuser_client.post(reverse(f"{name}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
