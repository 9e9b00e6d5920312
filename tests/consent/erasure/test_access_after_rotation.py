"""An access archive still downloads after a key rotation and the old key's removal: its own key is re-wrapped."""

import base64
import hashlib
import os

import pytest

from compliance.audit.actors import SystemActor
from compliance.crypto.keyring import get_keyring
from compliance.crypto.rotation import rotate_encryption_keys
from consent.erasure import access_engine
from consent.erasure.access_models import AccessRequest
from tests.consent.erasure.access_fixtures import access_root, file_access, run_export, started  # noqa: F401 (fixtures)
from tests.consent.erasure.stores import shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_the_archive_downloads_once_the_old_key_is_removed(
    file_access, started, subject, shop_stores, dpo, settings, django_capture_on_commit_callbacks
):
    ready = run_export(started(file_access(subject=subject)), django_capture_on_commit_callbacks)
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    new_key = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]

    assert rotate_encryption_keys(actor=SystemActor("rotate_encryption_keys")).complete
    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    stored = AccessRequest.objects.get(pk=ready.pk)
    raw = AccessRequest.objects.filter(pk=ready.pk).values_list("archive_key", flat=True).get()
    assert raw.startswith(get_keyring().active.key_id + "$")
    content = access_engine.archive_for_download(actor=dpo, request=stored)
    assert hashlib.sha256(content).hexdigest() == ready.archive_sha256
