"""API key material: making keys, hashing them, and finding the key a request presents.

A key is ``cus_`` followed by 40 URL-safe characters (240 random bits). Only its
SHA-256 is stored: a database dump lets no one call the API. A fast hash is
enough here, unlike for passwords, because the key is random and long rather
than chosen by a person.
"""

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.dateformat import format as format_date

from compliance.accounts.models import ApiKey

KEY_PREFIX = "cus_"
RANDOM_BYTES = 30  # 40 characters in URL-safe base64
DISPLAY_PREFIX_LENGTH = 8
KEY_PATTERN = re.compile(r"cus_[A-Za-z0-9_-]{40}")
# last_used_at is written at most this often, so a busy pipeline does not turn
# every request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Usable keys are remembered in the shared cache for this long, so authenticating
# a request costs no query (the consent check answers in exactly one). Revoking a
# key forgets it at once; this bounds how long a change made behind the
# services' back (in the database by hand) can go unseen.
CACHE_SECONDS = 60
CACHE_PREFIX = "custos:api-key:"
CACHED_FIELDS = ("pk", "name", "prefix", "key_hash", "scopes", "created_by_id", "created_at", "expires_at", "last_used_at")

INVALID_KEY = "This API key is not valid."
REVOKED_KEY = "This API key was revoked on {date}."
EXPIRED_KEY = "This API key expired on {date}."


class ApiKeyRefused(Exception):
    """The presented key cannot be used; the message says why. ``key`` is set when it exists."""

    def __init__(self, message: str, *, reason: str, key: ApiKey | None = None):
        super().__init__(message)
        self.reason = reason
        self.key = key


def new_key() -> str:
    """Return a new random key in clear (shown to its creator once, never stored)."""
    return KEY_PREFIX + secrets.token_urlsafe(RANDOM_BYTES)


def hash_key(plaintext: str) -> str:
    """Return the hex SHA-256 of a key, the form in which it is stored."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def display_prefix(plaintext: str) -> str:
    """Return the first characters of a key, kept to tell keys apart in lists."""
    return plaintext[:DISPLAY_PREFIX_LENGTH]


def _when(moment) -> str:
    return format_date(timezone.localtime(moment), "j F Y H:i")


def find_usable_key(plaintext: str) -> ApiKey:
    """Return the active key ``plaintext`` is, or raise ApiKeyRefused saying why it cannot be used."""
    if not KEY_PATTERN.fullmatch(plaintext):
        raise ApiKeyRefused(INVALID_KEY, reason="invalid")
    digest = hash_key(plaintext)
    # Looked up by the public prefix and compared in constant time, so response
    # times say nothing about how much of a guessed hash matched.
    candidates = ApiKey.objects.filter(prefix=display_prefix(plaintext))
    key = next((candidate for candidate in candidates if hmac.compare_digest(candidate.key_hash, digest)), None)
    if key is None:
        raise ApiKeyRefused(INVALID_KEY, reason="invalid")
    if key.revoked_at is not None:
        raise ApiKeyRefused(REVOKED_KEY.format(date=_when(key.revoked_at)), reason="revoked", key=key)
    if key.is_expired():
        raise ApiKeyRefused(EXPIRED_KEY.format(date=_when(key.expires_at)), reason="expired", key=key)
    return key


def touch(key: ApiKey) -> None:
    """Record that ``key`` was just used, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def _cache_key(digest: str) -> str:
    return CACHE_PREFIX + digest


def _remember(key: ApiKey) -> None:
    cache.set(_cache_key(key.key_hash), {name: getattr(key, name) for name in CACHED_FIELDS}, CACHE_SECONDS)


def _recalled(digest: str) -> ApiKey | None:
    """Return the usable key cached under ``digest``, or None (not cached, or expired since)."""
    fields = cache.get(_cache_key(digest))
    if fields is None:
        return None
    key = ApiKey(**fields)
    # As if loaded: the key is the audit actor of what the request does, never saved from here.
    key._state.adding = False
    key._state.db = "default"
    if key.is_expired():
        cache.delete(_cache_key(digest))
        return None
    return key


def forget(key: ApiKey) -> None:
    """Drop ``key`` from the cache, so the next request reads it from the database (after a revocation)."""
    cache.delete(_cache_key(key.key_hash))


def authenticate(plaintext: str) -> ApiKey:
    """Return the usable key ``plaintext`` is, recording its use; raise ApiKeyRefused saying why not.

    A usable key is cached (CACHE_SECONDS) with its last-used time, so a busy
    pipeline's requests cost no query: the database is read when the key is
    not cached, and written when last_used_at is due (once a minute at most).
    Refusals always read the database, so they are audited with the key.
    """
    key = _recalled(hash_key(plaintext)) if KEY_PATTERN.fullmatch(plaintext) else None
    if key is None:
        key = find_usable_key(plaintext)
        _remember(key)
    last_used_at = key.last_used_at
    touch(key)
    if key.last_used_at != last_used_at:
        _remember(key)
    return key


def end_of_day(day: date) -> datetime:
    """Return the last second of ``day`` in the organisation's time zone (a key works through its last day)."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
