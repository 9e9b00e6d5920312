"""Blind indexes: exact-match lookup of encrypted values without decrypting them.

``HMAC-SHA256(k_bi, normalised value)``, truncated to 32 hex digits, where
``k_bi`` is derived with HKDF from an encryption key under its own purpose label,
so it is never the key that encrypts. Each configured key has its own index key;
rows carry the active key's index, and lookups try every key's so a search still
finds rows during a key rotation (``rotate_encryption_keys`` recomputes them).
"""

import hashlib
import hmac

import phonenumbers
from django.conf import settings

from compliance.crypto.keyring import get_keyring

BLIND_INDEX_LENGTH = 32
PURPOSE = "custos blind index v1"


class NormalisationError(ValueError):
    """The value cannot be normalised for its kind (for example, not a phone number)."""


def normalise_email(value: str) -> str:
    value = value.strip().lower()
    if "@" not in value:
        raise NormalisationError(f"{value!r} is not an email address.")
    return value


def normalise_phone(value: str) -> str:
    """Return the E.164 form of ``value`` (national numbers use PHONE_DEFAULT_REGION)."""
    try:
        number = phonenumbers.parse(value, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise NormalisationError(
            f"{value!r} is not a phone number; give it in international form, for example +44 20 7946 0000."
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise NormalisationError(f"{value!r} is not a possible phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_text(value: str) -> str:
    return " ".join(value.split()).casefold()


def normalise_external_id(value: str) -> str:
    """Return ``value`` without surrounding whitespace: external ids are case-sensitive."""
    value = value.strip()
    if not value:
        raise NormalisationError("An external id cannot be empty.")
    return value


NORMALISERS = {
    "email": normalise_email,
    "phone": normalise_phone,
    "text": normalise_text,
    "external_id": normalise_external_id,
}


def normalise(value: str, kind: str) -> str:
    """Return ``value`` normalised for ``kind`` (email, phone, text or external_id)."""
    try:
        return NORMALISERS[kind](value)
    except KeyError:
        raise ValueError(f"Unknown blind-index kind {kind!r}; use one of {sorted(NORMALISERS)}.") from None


def _message(value: str, kind: str) -> bytes:
    return f"{kind}:{normalise(value, kind)}".encode()


def _digests(value: str, kind: str) -> list[str]:
    return [digest[:BLIND_INDEX_LENGTH] for digest in get_keyring().hmac_digests(PURPOSE, _message(value, kind))]


def blind_index(value: str, kind: str) -> str:
    """Return the blind index of ``value`` under the active key."""
    return _digests(value, kind)[0]


def blind_index_candidates(value: str, kind: str) -> list[str]:
    """Return the blind index of ``value`` under every configured key, for ``__in`` lookups."""
    return _digests(value, kind)


def blind_index_under(value: str, kind: str, key_id: str) -> str:
    """Return the blind index of ``value`` under the configured key ``key_id``.

    For structures built once under the then-active key (a version's membership
    filter) and queried later: they stay usable after a rotation for as long as
    that key is still listed in FIELD_ENCRYPTION_KEYS.
    """
    keyring = get_keyring()
    key = keyring.by_id.get(key_id)
    if key is None:
        raise KeyError(f"No configured key has id {key_id}; was it removed from FIELD_ENCRYPTION_KEYS?")
    digest = hmac.new(keyring.derived_key(key, PURPOSE), _message(value, kind), hashlib.sha256).hexdigest()
    return digest[:BLIND_INDEX_LENGTH]
