"""``manage.py record_encryption_key``: an operator states when a key came into use, and the key-age check reads it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.controls.models import EncryptionKeyRecord
from compliance.crypto.keyring import get_keyring

pytestmark = pytest.mark.django_db


def test_records_the_active_keys_date_audited():
    key_id = get_keyring().active.key_id
    out = StringIO()

    call_command("record_encryption_key", "--since", "2025-01-31", stdout=out)

    record = EncryptionKeyRecord.objects.get(key_id=key_id)
    assert (f"{timezone.localtime(record.in_use_since):%Y-%m-%d}", record.source) == ("2025-01-31", "stated")
    assert out.getvalue() == f"Key {key_id} recorded as in use since 2025-01-31.\n"
    event = AuditEvent.objects.get(action="controls.encryption_key_recorded")
    assert (event.actor_label, event.data["source"], event.data["previously"]) == ("manage.py record_encryption_key", "stated", None)


def test_refuses_a_malformed_date_or_an_unknown_key():
    with pytest.raises(CommandError, match=r"--since '31/01/2025' is not a date: give it as YYYY-MM-DD\."):
        call_command("record_encryption_key", "--since", "31/01/2025")
    with pytest.raises(CommandError, match=r"No key in FIELD_ENCRYPTION_KEYS has id deadbeef"):
        call_command("record_encryption_key", "--since", "2025-01-31", "--key-id", "deadbeef")
    assert not EncryptionKeyRecord.objects.exists()
