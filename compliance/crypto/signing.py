"""Custos's integrity key: Ed25519 signatures anyone can verify with the public key alone.

``SIGNING_KEY`` is the URL-safe base64 of a 32-byte Ed25519 seed, from the
environment (in development, generated under ``var/`` with the other keys); it
is never stored in the database. It signs audit reports (compliance/reports/) and
audit checkpoints. Signatures are verified against every trusted public key: the
active key's and those in ``SIGNING_PUBLIC_KEYS_EXTRA`` (keys retired by a
rotation, so what they signed still verifies). A key id is the first 16 hex
digits of the SHA-256 of the raw 32-byte public key, so it needs no configuring.

This module reads only settings, never the database, so ``verify_report`` works
offline.
"""

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHM = "Ed25519"
URLSAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")
SIGNATURE_BYTES = 64


class SignatureInvalid(Exception):
    """A signature does not verify: the data changed, or it was made by another key. The message says which."""


@dataclass(frozen=True)
class Signature:
    """A detached signature: the id of the key that made it and the 64 signature bytes as URL-safe base64."""

    key_id: str
    signature: str


def _decode(encoded: str, *, what: str) -> bytes:
    encoded = (encoded or "").strip()
    if not URLSAFE_BASE64.fullmatch(encoded):
        raise ImproperlyConfigured(f"{what} is not URL-safe base64.")
    return base64.urlsafe_b64decode(encoded.encode("ascii") + b"=" * (-len(encoded) % 4))


def encode(raw: bytes) -> str:
    """Return ``raw`` as URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def new_signing_key() -> str:
    """Return a new Ed25519 seed as URL-safe base64 of 32 random bytes (a value for SIGNING_KEY)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    """Return the raw 32 bytes of ``public_key``."""
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """Return the id of a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(public_key_bytes(public_key)).hexdigest()[:16]


def load_private_key(encoded_seed: str) -> Ed25519PrivateKey:
    """Return the private key of a URL-safe base64 seed; ImproperlyConfigured when it is not 32 bytes."""
    seed = _decode(encoded_seed, what="SIGNING_KEY")
    if len(seed) != 32:
        raise ImproperlyConfigured(f"SIGNING_KEY decodes to {len(seed)} bytes; an Ed25519 seed is 32.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_public_key(encoded: str) -> Ed25519PublicKey:
    """Return the public key of a URL-safe base64 raw 32-byte key; ImproperlyConfigured when malformed."""
    raw = _decode(encoded, what="A public signing key")
    if len(raw) != 32:
        raise ImproperlyConfigured(f"A public signing key decodes to {len(raw)} bytes; an Ed25519 public key is 32.")
    return Ed25519PublicKey.from_public_bytes(raw)


@lru_cache(maxsize=4)
def _private_key(encoded_seed: str) -> Ed25519PrivateKey:
    if not (encoded_seed or "").strip():
        raise ImproperlyConfigured("SIGNING_KEY is empty: set it (manage.py signing_public_key --generate prints a new one).")
    return load_private_key(encoded_seed)


def signing_key() -> Ed25519PrivateKey:
    """Return the active private key from ``settings.SIGNING_KEY``."""
    return _private_key(settings.SIGNING_KEY)


def active_key_id() -> str:
    """Return the id of the active signing key."""
    return key_id_for(signing_key().public_key())


def public_keys(*, extra: list[str] | None = None) -> dict[str, Ed25519PublicKey]:
    """Return every trusted public key by id: the active key's first, then ``SIGNING_PUBLIC_KEYS_EXTRA``.

    ``extra`` replaces the setting's list (``verify_report --public-key``). Without
    a ``SIGNING_KEY`` (a verifier's machine holds only public keys) only the extra
    keys are trusted.
    """
    keys: dict[str, Ed25519PublicKey] = {}
    if extra is None:
        if (getattr(settings, "SIGNING_KEY", "") or "").strip():
            active = signing_key().public_key()
            keys[key_id_for(active)] = active
        extra = list(getattr(settings, "SIGNING_PUBLIC_KEYS_EXTRA", []))
    for encoded in extra:
        public_key = load_public_key(encoded)
        keys.setdefault(key_id_for(public_key), public_key)
    return keys


def public_key_texts() -> list[tuple[str, str, bool]]:
    """Return (key id, URL-safe base64 public key, whether active) for every trusted key, active first."""
    active_id = active_key_id() if (getattr(settings, "SIGNING_KEY", "") or "").strip() else ""
    return [(key_id, encode(public_key_bytes(key)), key_id == active_id) for key_id, key in public_keys().items()]


def sign(data: bytes) -> Signature:
    """Return the detached Ed25519 signature of ``data`` under the active key."""
    key = signing_key()
    return Signature(key_id=key_id_for(key.public_key()), signature=encode(key.sign(data)))


def verify(data: bytes, signature: str, *, key_id: str, trusted: dict[str, Ed25519PublicKey] | None = None) -> None:
    """Check ``signature`` over ``data`` by the trusted key ``key_id``; raise SignatureInvalid saying why."""
    trusted = public_keys() if trusted is None else trusted
    public_key = trusted.get(key_id)
    if public_key is None:
        known = ", ".join(trusted) or "none"
        raise SignatureInvalid(f"The signature was made by key {key_id}, which is not a trusted key here (trusted: {known}).")
    try:
        raw = _decode(signature, what="The signature")
    except (ImproperlyConfigured, binascii.Error):
        raise SignatureInvalid("The signature is not URL-safe base64.") from None
    if len(raw) != SIGNATURE_BYTES:
        raise SignatureInvalid(f"The signature is {len(raw)} bytes; an Ed25519 signature is {SIGNATURE_BYTES}.")
    try:
        public_key.verify(raw, data)
    except InvalidSignature:
        raise SignatureInvalid(
            f"The signature does not match the data under key {key_id}: the file was changed after it was signed."
        ) from None
