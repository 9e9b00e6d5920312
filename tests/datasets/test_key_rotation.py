"""After a field-key rotation and the old key's removal, a leaked share file is still traced to its link."""

import base64
import io
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.crypto.rotation import rotate_encryption_keys
from datasets.models import ShareLink
from datasets.services import create_share_link
from datasets.watermark import write_watermarked_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(steward, dataset, make_version, csv_location):
    return create_share_link(
        actor=steward,
        version=make_version(dataset, "v1"),
        recipient_name="Dr Rivera",
        recipient_organisation="Northfield University",
        purpose="churn study",
        expires_at=timezone.now() + timedelta(days=3),
    ).link


@pytest.mark.parametrize("issued_before_keys_were_kept", [False, True])
def test_a_leak_is_still_traced_once_the_old_key_is_removed(link, tmp_path, settings, issued_before_keys_were_kept):
    if issued_before_keys_were_kept:
        ShareLink.objects.filter(pk=link.pk).update(watermark_key=None)
        link.refresh_from_db()
    leaked = tmp_path / "leaked.csv"
    with leaked.open("w", newline="") as handle:
        write_watermarked_copy(link=link, destination=handle)
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    new_key = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]

    result = rotate_encryption_keys(actor=SystemActor("rotate_encryption_keys"))
    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    assert result.complete
    assert result.per_artefact.get("datasets.ShareLink watermark keys", 0) == (1 if issued_before_keys_were_kept else 0)
    assert ShareLink.objects.get(pk=link.pk).watermark_key  # decrypts under the new key alone
    out = io.StringIO()
    call_command("trace_leak", str(leaked), stdout=out)
    assert out.getvalue().startswith(f"{leaked} carries 3 canary row(s) of share link {link.pk}:")
    assert AuditEvent.objects.get(action="crypto.keys_rotated").data["complete"] is True
    assert AuditEvent.objects.filter(action="share_link.watermark_keys_kept").count() == (1 if issued_before_keys_were_kept else 0)
