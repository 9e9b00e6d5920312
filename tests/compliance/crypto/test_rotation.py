import pytest
from django.core.management import call_command
from django.db import connection

from compliance.accounts import otp
from compliance.accounts.models import TOTPDevice
from compliance.audit.models import AuditEvent
from compliance.crypto.keyring import get_keyring
from compliance.devkeys import new_field_encryption_key
from tests.factories import user_with_role


def stored_key_ids() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_key FROM accounts_totpdevice")
        return sorted(row[0].split("$")[0] for row in cursor.fetchall())


@pytest.fixture
def seeds(db):
    user = user_with_role(None)
    seeds = {}
    for n in range(7):
        device = TOTPDevice(user=user, name=f"device {n}", confirmed=True)
        device.encrypted_key = otp.new_totp_seed()
        device.save()
        seeds[device.pk] = device.encrypted_key
    return seeds


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


def test_rotation_moves_every_row_to_the_new_key(settings, seeds):
    old_id = get_keyring().active.key_id
    settings.FIELD_ENCRYPTION_KEYS = [new_field_encryption_key(), *settings.FIELD_ENCRYPTION_KEYS]
    new_id = get_keyring().active.key_id
    assert set(stored_key_ids()) == {old_id}

    output = run("--batch-size", "3")

    assert f"Moved 7 rows to key {new_id}; all rows are under it." in output
    assert set(stored_key_ids()) == {new_id}
    assert {d.pk: d.encrypted_key for d in TOTPDevice.objects.all()} == seeds
    event = AuditEvent.objects.get(action="crypto.keys_rotated")
    assert event.data["rows_moved"] == 7 and event.data["complete"] is True
    # Nothing left to do: a second run moves nothing and records nothing.
    assert "Moved 0 rows" in run()
    assert AuditEvent.objects.filter(action="crypto.keys_rotated").count() == 1


def test_interrupted_rotation_resumes_where_it_stopped(settings, seeds):
    settings.FIELD_ENCRYPTION_KEYS = [new_field_encryption_key(), *settings.FIELD_ENCRYPTION_KEYS]
    new_id = get_keyring().active.key_id

    first = run("--batch-size", "2", "--max-rows", "3")
    assert "Moved 3 rows" in first and "rows remain under older keys; run again to finish" in first
    assert stored_key_ids().count(new_id) == 3

    second = run("--batch-size", "2")
    assert "Moved 4 rows" in second and "all rows are under it" in second
    assert set(stored_key_ids()) == {new_id}
    assert {d.pk: d.encrypted_key for d in TOTPDevice.objects.all()} == seeds


def test_old_key_can_be_dropped_after_rotation(settings, seeds):
    old = settings.FIELD_ENCRYPTION_KEYS
    settings.FIELD_ENCRYPTION_KEYS = [new_field_encryption_key(), *old]
    run()
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert {d.pk: d.encrypted_key for d in TOTPDevice.objects.all()} == seeds


def test_generate_encryption_key_prints_a_usable_key():
    from io import StringIO

    from compliance.crypto.keyring import Keyring

    out = StringIO()
    call_command("generate_encryption_key", stdout=out)
    key = out.getvalue().strip()
    assert Keyring([key]).active.key_id
