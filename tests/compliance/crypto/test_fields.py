import pytest
from django.db import connection

from compliance.accounts import otp
from compliance.accounts.models import TOTPDevice
from compliance.crypto.fields import Token
from compliance.crypto.keyring import DecryptionError
from tests.factories import user_with_role


def raw_column(device, column="encrypted_key") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM accounts_totpdevice WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def device(db):
    device = TOTPDevice(user=user_with_role(None), name="phone", confirmed=True)
    device.encrypted_key = otp.new_totp_seed()
    device.save()
    return device


def test_database_holds_a_token_not_the_seed(device):
    stored = raw_column(device)
    assert device.encrypted_key not in stored
    assert stored.split("$")[0] and len(stored.split("$")[0]) == 8


def test_value_reads_back_decrypted(device):
    fresh = TOTPDevice.objects.get(pk=device.pk)
    assert fresh.__dict__["encrypted_key"].__class__ is Token  # still sealed until read
    assert fresh.encrypted_key == device.encrypted_key


def test_token_copied_to_another_row_does_not_decrypt(device):
    other = TOTPDevice(user=device.user, name="tablet", confirmed=True)
    other.encrypted_key = otp.new_totp_seed()
    other.save()
    TOTPDevice.objects.filter(pk=other.pk).update(encrypted_key=Token(raw_column(device)))
    with pytest.raises(DecryptionError, match="does not decrypt for this row"):
        TOTPDevice.objects.get(pk=other.pk).encrypted_key


def test_plain_value_is_refused_by_queryset_update(device):
    with pytest.raises(ValueError, match="save it through the model instance"):
        TOTPDevice.objects.filter(pk=device.pk).update(encrypted_key="plain seed")


def test_saving_again_reencrypts_with_a_fresh_nonce(device):
    before = raw_column(device)
    fresh = TOTPDevice.objects.get(pk=device.pk)
    fresh.encrypted_key = fresh.encrypted_key
    fresh.save()
    assert raw_column(device) != before
    assert TOTPDevice.objects.get(pk=device.pk).encrypted_key == device.encrypted_key


def test_unread_token_is_saved_unchanged(device):
    before = raw_column(device)
    fresh = TOTPDevice.objects.get(pk=device.pk)
    fresh.name = "renamed"
    fresh.save()
    assert raw_column(device) == before
