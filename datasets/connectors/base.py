"""The one interface every store kind implements, and what it returns.

``discover`` counts a subject's records, ``erase`` deletes them or blanks the
location's ``anonymise_fields``, ``export`` returns them (for access
requests). All three take the location and the subject's identifiers; a
location keyed by an identifier the request does not give raises
``NotApplicable``. Failures raise ``TransientError`` (retry) or
``PermanentError`` (a person must act), see ``datasets.connectors.errors``.

Erasing is idempotent: a second ``erase`` changes nothing and reports zero
records, since only records still holding the subject's data (for
anonymisation: a non-blank field) count.
"""

import base64
import datetime
import decimal
import hashlib
import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from datasets.connectors.errors import NotApplicable, PermanentError
from datasets.models import ErasureMode, SubjectKey


@dataclass(frozen=True)
class SubjectKeys:
    """The identifiers a request gives for its subject; a store is searched by the one it is keyed by."""

    external_id: str = ""
    email: str = ""
    phone: str = ""

    def for_location(self, location) -> str:
        """Return the identifier ``location`` is keyed by; raise NotApplicable when the request does not give it."""
        value = getattr(self, location.subject_key, "") if location.subject_key in SubjectKey.values else ""
        if not value:
            label = SubjectKey(location.subject_key).label.lower() if location.subject_key in SubjectKey.values else location.subject_key
            raise NotApplicable(f"Location {location.name!r} is keyed by {label}, which this request does not give.")
        return value


@dataclass(frozen=True)
class Found:
    """How many of the subject's records a location holds (never the records)."""

    records: int
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Erased:
    """The evidence of one erasure: what was affected, a digest of which records, the store's size before and after."""

    records_affected: int
    fields: list[str]
    keys_sha256: str
    rows_before: int | None
    rows_after: int | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exported:
    """The subject's records in a location, as JSON-able dictionaries, and the fields they have."""

    records: list[dict[str, Any]]
    fields: list[str]


class Connector(ABC):
    """One kind of store. Subclasses implement the three operations for a location of their kind."""

    @abstractmethod
    def discover(self, location, keys: SubjectKeys) -> Found:
        """Return how many records of the subject ``location`` holds."""

    @abstractmethod
    def erase(self, location, keys: SubjectKeys, mode: str) -> Erased:
        """Delete the subject's records (``mode`` "delete") or blank the location's anonymise fields ("anonymise")."""

    @abstractmethod
    def export(self, location, keys: SubjectKeys) -> Exported:
        """Return the subject's records in ``location``."""


def checked_mode(location, mode: str) -> str:
    """Return ``mode`` if it is an erasure mode ``location`` can apply; raise PermanentError otherwise."""
    if mode not in ErasureMode.values:
        raise PermanentError(f"{mode!r} is not an erasure mode: use {' or '.join(ErasureMode.values)}.")
    if mode == ErasureMode.ANONYMISE and not location.anonymise_fields:
        raise PermanentError(f"Location {location.name!r} names no fields to blank, so it cannot be anonymised.")
    return mode


def keys_digest(keys: Iterable[str]) -> str:
    """Return the sha256 (hex) over the affected records' keys, sorted, one per line.

    The digest lets an auditor check a later claim ("these records were
    erased") without Custos keeping the keys themselves.
    """
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()


def json_safe(value: Any) -> Any:
    """Return ``value`` as something ``json.dumps`` takes: dates as ISO text, decimals and UUIDs as text, bytes as base64."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | datetime.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(name): json_safe(item) for name, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(item) for item in value]
    return json.loads(json.dumps(value, default=str))
