"""Key rotation re-encrypts evidence files, so they download once the old key is removed."""

import base64
import os

import pytest

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.controls import evidence_files, services
from compliance.crypto.keyring import DecryptionError, get_keyring
from compliance.crypto.rotation import rotate_encryption_keys
from tests.compliance.controls.conftest import PDF, upload

pytestmark = pytest.mark.django_db
ROTATOR = SystemActor("rotate_encryption_keys")


def _control():
    from compliance.controls.models import Control

    return [Control.objects.get(code="CTL-ENC-01")]


def _token_key_id(evidence) -> str:
    return evidence_files.stored_path(evidence.stored_name).read_text(encoding="ascii").split("$", 1)[0]


def test_evidence_downloads_after_a_rotation_once_the_old_key_is_removed(framework, manager, settings):
    first, second = upload(manager, title="Policy A", controls=_control()), upload(manager, title="Policy B", name="b.pdf", controls=_control())
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    new_key = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]

    partial = rotate_encryption_keys(actor=ROTATOR, max_rows=1)
    assert partial.per_artefact == {"controls.Evidence files": 1} and not partial.complete
    finished = rotate_encryption_keys(actor=ROTATOR)
    assert finished.per_artefact.get("controls.Evidence files") == 1 and finished.complete
    assert rotate_encryption_keys(actor=ROTATOR).per_artefact == {}  # resumable: nothing left to move
    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    for evidence in (first, second):
        evidence.refresh_from_db()
        assert _token_key_id(evidence) == get_keyring().active.key_id
        assert services.download_evidence(actor=manager, evidence=evidence) == PDF
    moved = AuditEvent.objects.filter(action="controls.evidence_files_rotated").order_by("pk")
    assert [event.data["files"] for event in moved] == [1, 1]


def test_without_rotation_the_file_does_not_open_once_the_old_key_is_removed(framework, manager, settings):
    evidence = upload(manager, controls=_control())
    settings.FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")]

    with pytest.raises(DecryptionError):
        services.download_evidence(actor=manager, evidence=evidence)


def test_the_command_names_the_files_it_moved(framework, manager, settings):
    import io

    from django.core.management import call_command

    upload(manager, controls=_control())
    settings.FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(os.urandom(32)).decode("ascii"), *settings.FIELD_ENCRYPTION_KEYS]
    out = io.StringIO()

    call_command("rotate_encryption_keys", stdout=out)

    assert "  controls.Evidence files: 1\n" in out.getvalue()
    assert out.getvalue().rstrip().endswith("all rows are under it.")
