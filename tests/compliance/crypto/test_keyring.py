import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from compliance.crypto.keyring import DecryptionError, Keyring, key_id_for
from compliance.devkeys import new_field_encryption_key


def test_round_trip_under_the_active_key():
    keyring = Keyring([new_field_encryption_key()])
    token = keyring.encrypt(b"ada@example.org", b"row-1")
    assert b"ada" not in token.encode()
    assert token.startswith(keyring.active.key_id + "$")
    assert keyring.decrypt(token, b"row-1") == b"ada@example.org"


def test_key_id_is_derived_from_the_key():
    encoded = new_field_encryption_key()
    secret = base64.urlsafe_b64decode(encoded)
    assert Keyring([encoded]).active.key_id == key_id_for(secret)
    assert len(key_id_for(secret)) == 8


def test_same_plaintext_encrypts_differently_each_time():
    keyring = Keyring([new_field_encryption_key()])
    assert keyring.encrypt(b"x", b"ad") != keyring.encrypt(b"x", b"ad")


def test_other_associated_data_does_not_decrypt():
    keyring = Keyring([new_field_encryption_key()])
    token = keyring.encrypt(b"secret", b"accounts.totpdevice:encrypted_key:1")
    with pytest.raises(DecryptionError, match="does not decrypt for this row"):
        keyring.decrypt(token, b"accounts.totpdevice:encrypted_key:2")


def test_tampered_token_does_not_decrypt():
    keyring = Keyring([new_field_encryption_key()])
    token = keyring.encrypt(b"secret", b"ad")
    key_id, body = token.split("$")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        keyring.decrypt(f"{key_id}${base64.urlsafe_b64encode(bytes(raw)).decode()}", b"ad")


def test_old_keys_still_decrypt_after_rotation():
    old, new = new_field_encryption_key(), new_field_encryption_key()
    token = Keyring([old]).encrypt(b"kept", b"ad")
    rotated = Keyring([new, old])
    assert rotated.decrypt(token, b"ad") == b"kept"
    assert not rotated.is_current(token)
    assert rotated.is_current(rotated.encrypt(b"kept", b"ad"))


def test_removed_key_is_named_in_the_error():
    old, new = new_field_encryption_key(), new_field_encryption_key()
    token = Keyring([old]).encrypt(b"lost", b"ad")
    with pytest.raises(DecryptionError, match=f"No configured key has id {Keyring([old]).active.key_id}"):
        Keyring([new]).decrypt(token, b"ad")


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("not base64 at all!", "not URL-safe base64"),
        (base64.urlsafe_b64encode(b"short").decode(), "decodes to 5 bytes; AES-256 needs 32"),
    ],
)
def test_bad_keys_are_refused_with_a_reason(encoded, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        Keyring([encoded])


def test_empty_keyring_is_refused():
    with pytest.raises(ImproperlyConfigured, match="holds no key"):
        Keyring([])
