"""AES-256-GCM encryption under a rotating keyring.

A token is ``<key id>$<urlsafe base64 of nonce ‖ ciphertext ‖ tag>``. The key id
is the first 8 hex digits of the key's SHA-256, so it needs no configuring and a
token always names the key that decrypts it. The first key in
``FIELD_ENCRYPTION_KEYS`` encrypts; every key listed decrypts.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN_SEPARATOR = "$"
NONCE_BYTES = 12
URLSAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class DecryptionError(Exception):
    """A token could not be decrypted: unknown key, tampered data or wrong row."""


@dataclass(frozen=True)
class Key:
    key_id: str
    secret: bytes

    @classmethod
    def from_setting(cls, encoded: str) -> "Key":
        if not URLSAFE_BASE64.fullmatch(encoded):
            raise ImproperlyConfigured("A FIELD_ENCRYPTION_KEYS entry is not URL-safe base64.")
        secret = base64.urlsafe_b64decode(encoded.encode("ascii") + b"=" * (-len(encoded) % 4))
        if len(secret) != 32:
            raise ImproperlyConfigured(
                f"A FIELD_ENCRYPTION_KEYS entry decodes to {len(secret)} bytes; AES-256 needs 32."
            )
        return cls(key_id=key_id_for(secret), secret=secret)


def key_id_for(secret: bytes) -> str:
    """Return the id of a key: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(secret).hexdigest()[:8]


class Keyring:
    """The configured keys: the first is active, all of them decrypt."""

    def __init__(self, encoded_keys: list[str]):
        if not encoded_keys:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds no key.")
        self.keys = [Key.from_setting(encoded) for encoded in encoded_keys]
        self.by_id = {key.key_id: key for key in self.keys}
        self.active = self.keys[0]

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> str:
        """Return a token for ``plaintext`` bound to ``associated_data`` under the active key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.active.secret).encrypt(nonce, plaintext, associated_data)
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{self.active.key_id}{TOKEN_SEPARATOR}{body}"

    def decrypt(self, token: str, associated_data: bytes) -> bytes:
        """Return the plaintext of ``token``; raise DecryptionError if it does not open."""
        key_id, separator, body = token.partition(TOKEN_SEPARATOR)
        if not separator:
            raise DecryptionError("The value is not an encryption token.")
        key = self.by_id.get(key_id)
        if key is None:
            raise DecryptionError(f"No configured key has id {key_id}; was it removed from FIELD_ENCRYPTION_KEYS?")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            return AESGCM(key.secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data)
        except (InvalidTag, binascii.Error, ValueError) as exc:
            # InvalidTag also means the token was copied from another row or field.
            raise DecryptionError("The token does not decrypt for this row and field.") from exc

    def is_current(self, token: str) -> bool:
        """Return whether ``token`` is under the active key."""
        return token.startswith(self.active.key_id + TOKEN_SEPARATOR)

    def derived_key(self, key: Key, purpose: str) -> bytes:
        """Return a 32-byte key for ``purpose`` derived from ``key`` with HKDF-SHA256."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(key.secret)

    def hmac_digests(self, purpose: str, message: bytes) -> list[str]:
        """Return HMAC-SHA256 hex digests of ``message`` under every key's derived key, active first."""
        return [
            hmac.new(self.derived_key(key, purpose), message, hashlib.sha256).hexdigest() for key in self.keys
        ]


@lru_cache(maxsize=4)
def _keyring_for(keys: tuple[str, ...]) -> Keyring:
    return Keyring(list(keys))


def get_keyring() -> Keyring:
    """Return the keyring for the current ``FIELD_ENCRYPTION_KEYS`` (cached per key list)."""
    return _keyring_for(tuple(settings.FIELD_ENCRYPTION_KEYS))
