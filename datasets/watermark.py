"""Per-recipient watermarks: canary rows in each shared copy, and tracing a leaked file back to its share.

Each share link's copy carries a few synthetic records (canaries) whose values
come from ``HMAC(k_w, share id ‖ row ‖ column)``, where ``k_w`` is derived from
the field-encryption key recorded on the link. They look like the file's other
records (an email column gets an email address, a date column a date), sit at
positions drawn from the same keyed hash, and without the key nobody can tell
them apart or forge another recipient's. A leaked file is traced by recomputing
every link's canaries for the file's columns and looking for rows that match.
"""

import base64
import csv
import hashlib
import hmac
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from compliance.crypto.keyring import get_keyring
from datasets.locations import path_under_roots
from datasets.models import FileFormat, ShareLink

PURPOSE = "custos share watermark v1"
CANARY_ROWS = 3
WATERMARKED_FORMATS = (FileFormat.CSV, FileFormat.JSONL)

FIRST_NAMES = (
    "Ada Alex Amara Ben Carla Dev Elif Emil Farah Gus Hana Ines Jon Kai Lena Luca "
    "Maya Nia Omar Pia Rosa Sam Tariq Uma Vera Wes Yara Zoe Iris Noel Ravi Tess"
).split()
LAST_NAMES = (
    "Abbott Baker Carver Dalton Ellis Fraser Garner Hale Irving Jansen Keane Lowe "
    "Marsh Nolan Okafor Price Quinn Rhodes Shah Turner Usman Vance Walsh Young Zeller "
    "Brook Chandra Dunn Ferreira Grant Hughes Kowal"
).split()
MAIL_DOMAINS = ("mail.example.com", "example.net", "post.example.org", "inbox.example.com")
COUNTRIES = ("GB", "DE", "FR", "NL", "IE", "ES", "IT", "SE", "US", "CA", "PL", "PT")
CITIES = ("Leeds", "Bristol", "Lyon", "Utrecht", "Cork", "Porto", "Malmo", "Austin", "Gdansk", "Turin")


class UnreadableFile(ValueError):
    """The file is not CSV or JSON Lines with a header (or object keys) to read."""


@dataclass(frozen=True)
class LeakMatch:
    """A share link whose canary rows appear in a file, and how many of them."""

    link: ShareLink
    canaries_found: int


def _key(key_id: str, secret: str | None = None) -> bytes:
    # A link's own copy of its derived key (wrapped by the field keyring) outlives a rotation.
    if secret:
        return base64.urlsafe_b64decode(secret.encode("ascii"))
    keyring = get_keyring()
    key = keyring.by_id.get(key_id)
    if key is None:
        raise KeyError(f"No configured key has id {key_id}; the watermark cannot be computed without it.")
    return keyring.derived_key(key, PURPOSE)


def _digest(key: bytes, link_id, *parts: object) -> bytes:
    message = "\x1f".join([str(link_id), *(str(part) for part in parts)]).encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def _value(column: str, digest: bytes) -> str:
    """Return a plausible synthetic value for a column, chosen by its name."""
    name = column.strip().lower()
    number = int.from_bytes(digest[:8], "big")
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(number >> 8) % len(LAST_NAMES)]
    if "email" in name or name.endswith("mail"):
        return f"{first}.{last}{(number >> 16) % 9000 + 1000}@{MAIL_DOMAINS[(number >> 32) % len(MAIL_DOMAINS)]}".lower()
    if "phone" in name or "mobile" in name:
        # Ofcom's range for drama: never a real subscriber.
        return f"+44 7700 900{number % 1000:03d}"
    if name in ("first_name", "firstname", "given_name", "forename"):
        return first
    if name in ("last_name", "lastname", "surname", "family_name"):
        return last
    if "name" in name:
        return f"{first} {last}"
    if name.endswith(("date", "_at", "_on")) or "birth" in name or name == "dob":
        return (date(1950, 1, 1) + timedelta(days=number % 20_000)).isoformat()
    if name == "age":
        return str(18 + number % 70)
    if any(word in name for word in ("amount", "price", "total", "count", "quantity", "score", "balance")):
        return str(number % 100_000)
    if name in ("country", "country_code"):
        return COUNTRIES[number % len(COUNTRIES)]
    if "city" in name or "town" in name:
        return CITIES[number % len(CITIES)]
    if name == "id" or name.endswith("id") or "key" in name or "uuid" in name:
        return digest[8:14].hex()
    return digest[8:13].hex()


def derived_key_text(key_id: str) -> str:
    """Return the watermark key derived from the configured key ``key_id``, as URL-safe base64 (to wrap on a link)."""
    return base64.urlsafe_b64encode(_key(key_id)).decode("ascii")


def canary_rows(*, link_id, key_id: str, columns: list[str], secret: str | None = None) -> list[dict[str, str]]:
    """Return the link's canary records for a file with ``columns`` (``secret``: the link's wrapped key, if kept)."""
    key = _key(key_id, secret)
    return [
        {column: _value(column, _digest(key, link_id, "row", row, column.strip().lower())) for column in columns}
        for row in range(CANARY_ROWS)
    ]


def canary_positions(*, link_id, key_id: str, row_count: int, secret: str | None = None) -> list[int]:
    """Return, for each canary, how many of the file's own rows come before it (sorted)."""
    key = _key(key_id, secret)
    return sorted(
        int.from_bytes(_digest(key, link_id, "position", row)[:8], "big") % (row_count + 1) for row in range(CANARY_ROWS)
    )


def _interleave(rows: Iterable[Any], canaries: list[Any], positions: list[int]) -> Iterator[Any]:
    pending = list(zip(positions, canaries, strict=True))
    for written, row in enumerate(rows):
        while pending and pending[0][0] == written:
            yield pending.pop(0)[1]
        yield row
    for _, canary in pending:
        yield canary


def _count_lines(path: Path, *, jsonl: bool) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if jsonl:
            return sum(1 for line in handle if line.strip())
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def _write_csv(link: ShareLink, path: Path, destination: TextIO) -> int:
    row_count = _count_lines(path, jsonl=False)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise UnreadableFile(f"{path} is empty: there is no header to build canary rows from.")
        canaries = [[row[column] for column in header] for row in canary_rows(link_id=link.pk, key_id=link.watermark_key_id, secret=link.watermark_key, columns=header)]
        positions = canary_positions(link_id=link.pk, key_id=link.watermark_key_id, secret=link.watermark_key, row_count=row_count)
        writer = csv.writer(destination)
        writer.writerow(header)
        written = 0
        for row in _interleave(reader, canaries, positions):
            writer.writerow(row)
            written += 1
    return written


def _jsonl_objects(handle: TextIO, path: Path) -> Iterator[dict]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise UnreadableFile(f"Line {number} of {path} is not JSON.") from None
        if not isinstance(record, dict):
            raise UnreadableFile(f"Line {number} of {path} is not a JSON object.")
        yield record


def _typed(text: str, sample: Any) -> Any:
    # Numbers stay numbers in JSON Lines, so the canary does not stand out by its type.
    if isinstance(sample, int | float) and not isinstance(sample, bool) and text.isdigit():
        return int(text)
    return text


def _write_jsonl(link: ShareLink, path: Path, destination: TextIO) -> int:
    row_count = _count_lines(path, jsonl=True)
    with path.open(encoding="utf-8-sig") as handle:
        records = _jsonl_objects(handle, path)
        first = next(records, None)
        if first is None:
            raise UnreadableFile(f"{path} is empty: there is no record to build canary rows from.")
        columns = list(first)
        canaries = [
            {column: _typed(value, first[column]) for column, value in row.items()}
            for row in canary_rows(link_id=link.pk, key_id=link.watermark_key_id, secret=link.watermark_key, columns=columns)
        ]
        positions = canary_positions(link_id=link.pk, key_id=link.watermark_key_id, secret=link.watermark_key, row_count=row_count)
        written = 0

        def all_records():
            yield first
            yield from records

        for record in _interleave(all_records(), canaries, positions):
            destination.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def write_watermarked_copy(*, link: ShareLink, destination: TextIO) -> int:
    """Write the link's file with its canary rows to ``destination``; return the records written.

    The path is checked against CONNECTOR_FILESYSTEM_ROOTS again, since a
    symlink may have changed since the location was registered.
    """
    path = path_under_roots(link.location.path)
    if link.location.format == FileFormat.CSV:
        return _write_csv(link, path, destination)
    if link.location.format == FileFormat.JSONL:
        return _write_jsonl(link, path, destination)
    raise UnreadableFile(f"Shared copies are watermarked in CSV or JSON Lines, not {link.location.get_format_display()}.")


# --- Tracing ------------------------------------------------------------------------


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def iter_records(path: Path) -> Iterator[list[str]]:
    """Yield a CSV or JSON Lines file's columns, then each row as text cells, reading as it goes."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            start = handle.read(4096).lstrip()
            handle.seek(0)
            if path.suffix.lower() in (".jsonl", ".ndjson") or start.startswith("{"):
                records = _jsonl_objects(handle, path)
                first = next(records, None)
                if first is None:
                    raise UnreadableFile(f"{path} is empty.")
                columns = list(first)
                yield columns
                yield [_cell(first[column]) for column in columns]
                for record in records:
                    yield [_cell(record.get(column, "")) for column in columns]
                return
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise UnreadableFile(f"{path} is empty.")
            yield header
            yield from reader
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path} is not UTF-8 text: only CSV and JSON Lines files can be traced.") from None
    except csv.Error as error:
        raise UnreadableFile(f"{path} is not a CSV file Custos can read: {error}.") from None


def find_leak_sources(path: Path, links: Iterable[ShareLink]) -> list[LeakMatch]:
    """Return the share links whose canary rows appear in the file, most canaries first.

    A file row matches a canary when at least half of the file's columns (and
    at least two, when there are two or more) hold the canary's values, so a
    few edited or dropped cells do not hide the source.
    """
    records = iter_records(path)
    columns = next(records)
    needed = max(1, min(2, len(columns)), math.ceil(len(columns) / 2))
    # (column position, value) -> the canaries holding that value there.
    holders: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    by_index: list[ShareLink] = []
    for link in links:
        try:
            canaries = canary_rows(link_id=link.pk, key_id=link.watermark_key_id, secret=link.watermark_key, columns=columns)
        except KeyError:
            continue
        link_index = len(by_index)
        by_index.append(link)
        for canary_number, canary in enumerate(canaries):
            for position, column in enumerate(columns):
                holders[(position, canary[column])].append((link_index, canary_number))
    found: dict[int, set[int]] = defaultdict(set)
    for row in records:
        counts: dict[tuple[int, int], int] = defaultdict(int)
        for position, value in enumerate(row[: len(columns)]):
            for holder in holders.get((position, value), ()):
                counts[holder] += 1
        for (link_index, canary_number), count in counts.items():
            if count >= needed:
                found[link_index].add(canary_number)
    matches = [LeakMatch(link=by_index[index], canaries_found=len(canaries)) for index, canaries in found.items()]
    return sorted(matches, key=lambda match: (-match.canaries_found, str(match.link.pk)))
