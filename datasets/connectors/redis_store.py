"""Redis: the keys a subject's data lives under, found by the location's key pattern.

The pattern holds ``{key}`` where the subject's identifier goes, for example
``user:{key}:*``; the identifier is escaped (``*``, ``?``, ``[``, ``]`` and
``\\``) before it is put in, so it matches only itself, and the keys are
found with SCAN MATCH (never KEYS, which blocks the server). Deleting
UNLINKs them; anonymising removes (HDEL) the named fields from the hashes
among them, and refuses before changing anything when a matching key is not
a hash. A key's name is its key in the evidence digest; the store's size is
the database's key count (DBSIZE).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis import exceptions as redis_errors

from datasets.connectors.base import Connector, Erased, Exported, Found, SubjectKeys, checked_mode, json_safe, keys_digest
from datasets.connectors.errors import ConnectorError, PermanentError, TransientError, os_error
from datasets.locations import parse_url
from datasets.models import ErasureMode

CONNECT_TIMEOUT_SECONDS = 5
COMMAND_TIMEOUT_SECONDS = 30
SCAN_COUNT = 1000
GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def escape_glob(value: str) -> str:
    """Return ``value`` with Redis glob characters escaped, so MATCH takes it literally."""
    return GLOB_SPECIAL.sub(r"\\\1", value)


def subject_pattern(key_pattern: str, value: str) -> str:
    """Return the MATCH pattern of the subject ``value`` for ``key_pattern`` (with ``{key}``)."""
    if "{key}" not in key_pattern:
        raise PermanentError(f"The key pattern {key_pattern!r} has no {{key}} for the subject's identifier.")
    return key_pattern.replace("{key}", escape_glob(value))


class RedisConnector(Connector):
    """Redis locations: the subject's keys by pattern; hashes' fields when anonymising."""

    def discover(self, location, keys: SubjectKeys) -> Found:
        pattern = subject_pattern(_key_pattern(location), keys.for_location(location))
        with _client(location) as client:
            found = _scan(client, pattern)
        return Found(records=len(found), detail={"keys": len(found)})

    def erase(self, location, keys: SubjectKeys, mode: str) -> Erased:
        mode = checked_mode(location, mode)
        pattern = subject_pattern(_key_pattern(location), keys.for_location(location))
        with _client(location) as client:
            rows_before = client.dbsize()
            found = _scan(client, pattern)
            if mode == ErasureMode.DELETE:
                fields: list[str] = []
                affected = _unlink(client, found)
            else:
                fields = list(location.anonymise_fields)
                affected = _remove_fields(client, found, fields)
            rows_after = client.dbsize()
        return Erased(
            records_affected=len(affected),
            fields=fields,
            keys_sha256=keys_digest(affected),
            rows_before=rows_before,
            rows_after=rows_after,
            detail={"mode": mode, "keys_matched": len(found)},
        )

    def export(self, location, keys: SubjectKeys) -> Exported:
        pattern = subject_pattern(_key_pattern(location), keys.for_location(location))
        with _client(location) as client:
            records = [_read(client, key) for key in _scan(client, pattern)]
        return Exported(records=[record for record in records if record is not None], fields=["key", "type", "value"])


def _key_pattern(location) -> str:
    return location.key_pattern or location.subject_field


def _scan(client: redis.Redis, pattern: str) -> list[str]:
    return sorted(set(client.scan_iter(match=pattern, count=SCAN_COUNT)))


def _unlink(client: redis.Redis, found: list[str]) -> list[str]:
    pipeline = client.pipeline(transaction=False)
    for key in found:
        pipeline.unlink(key)
    return [key for key, removed in zip(found, pipeline.execute(), strict=True) if removed]


def _remove_fields(client: redis.Redis, found: list[str], fields: list[str]) -> list[str]:
    pipeline = client.pipeline(transaction=False)
    for key in found:
        pipeline.type(key)
    types = dict(zip(found, pipeline.execute(), strict=True))
    others = sorted(key for key, kind in types.items() if kind not in ("hash", "none"))
    if others:
        raise PermanentError(
            f"Key {others[0]} is a {types[others[0]]}, not a hash, so no field can be blanked in it: erase this"
            " location in delete mode, or narrow its key pattern to the hashes."
        )
    hashes = [key for key, kind in types.items() if kind == "hash"]
    for key in hashes:
        pipeline.hdel(key, *fields)
    return [key for key, removed in zip(hashes, pipeline.execute(), strict=True) if removed]


def _read(client: redis.Redis, key: str) -> dict | None:
    kind = client.type(key)
    readers = {
        "string": client.get,
        "hash": client.hgetall,
        "list": lambda name: client.lrange(name, 0, -1),
        "set": lambda name: sorted(client.smembers(name)),
        "zset": lambda name: client.zrange(name, 0, -1, withscores=True),
    }
    if kind not in readers:
        return None if kind == "none" else {"key": key, "type": kind, "value": None}
    return {"key": key, "type": kind, "value": json_safe(readers[kind](key))}


@contextmanager
def _client(location) -> Iterator[redis.Redis]:
    raw = (location.connection or {}).get("url", "")
    try:
        url = parse_url(raw)
    except ValueError:
        raise PermanentError(f"The connection URL of location {location.name!r} cannot be read: enter it again.") from None
    address = f"{url.host}:{url.port or 6379}"
    client = redis.Redis.from_url(
        raw.strip(),
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=COMMAND_TIMEOUT_SECONDS,
        decode_responses=True,
        retry_on_timeout=False,
    )
    try:
        yield client
    except ConnectorError:
        raise
    except (redis_errors.RedisError, OSError) as error:
        raise classify_redis_error(error, address=address, user=url.username or "default") from None
    finally:
        client.close()


def classify_redis_error(error: BaseException, *, address: str, user: str = "default") -> ConnectorError:
    """Return the connector error that says what ``error`` from the Redis server at ``address`` means."""
    text = str(error)
    if isinstance(error, redis_errors.AuthenticationError | redis_errors.AuthenticationWrongNumberOfArgsError) or text.startswith(
        ("WRONGPASS", "invalid password", "invalid username-password")
    ):
        return PermanentError(f"The password for user {user} was refused by the Redis server at {address}.")
    if text.startswith("NOAUTH"):
        return PermanentError(f"The Redis server at {address} needs a password: add it to the URL.")
    if text.startswith("NOPERM") or isinstance(error, redis_errors.NoPermissionError):
        return PermanentError(f"User {user} may not run the commands erasure needs on the Redis server at {address}.")
    if isinstance(error, redis_errors.BusyLoadingError) or text.startswith(("LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN")):
        return TransientError(f"The Redis server at {address} is busy or loading; Custos will try again.")
    if isinstance(error, redis_errors.ConnectionError | redis_errors.TimeoutError | TimeoutError | ConnectionError):
        return TransientError(f"The Redis server at {address} did not answer (connection refused or timed out); Custos will try again.")
    if isinstance(error, redis_errors.ReadOnlyError) or text.startswith("READONLY"):
        return TransientError(f"The Redis server at {address} is a read-only replica just now; Custos will try again.")
    if isinstance(error, OSError):
        return os_error(error, what=f"The Redis server at {address}")
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return PermanentError(f"The Redis server at {address} refused the erasure: {first_line}")
