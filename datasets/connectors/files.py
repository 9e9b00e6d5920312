"""Files: CSV, JSON Lines and Parquet, one file or every file of the format under a directory.

The path is checked against ``CONNECTOR_FILESYSTEM_ROOTS`` again on every
call (a symlink may have changed since the location was saved). Reading
streams the file; erasing writes the records kept to a temporary file in the
same directory, fsyncs it, gives it the original's permissions and replaces
the original atomically (``os.replace``), so a reader sees the old file or
the new one, never half of one. Records not affected keep their bytes: CSV
records and JSON lines are copied verbatim; only anonymised ones are
re-encoded. Parquet files are rewritten batch by batch with the same schema.
When nothing is affected the file is left untouched.

Two erasures of the same file are serialised by an exclusive lock on a
``.<name>.custos-lock`` file beside it; one that waits too long is a
TransientError. In a file, a record's key (for the evidence digest) is its
number, counting from 1 after the CSV header, prefixed with the file's path
relative to the location for a directory.

Matching is exact: a CSV cell equals the subject's identifier as text; a JSON
value equals it as a string, or as an integer written the same way; a
Parquet integer column compares as a number. In JSON Lines a field name with
dots reaches into nested objects (``customer.email``) unless a top-level
field has that very name. Anonymising sets the fields to "" (a Parquet
column that is not text, to null).
"""

import csv
import fcntl
import io
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from datasets.connectors.base import (
    Connector,
    Erased,
    Exported,
    Found,
    SubjectKeys,
    checked_mode,
    json_safe,
    keys_digest,
)
from datasets.connectors.errors import ConnectorError, PermanentError, TransientError, os_error
from datasets.locations import FORMAT_SUFFIXES, path_under_roots
from datasets.models import ErasureMode, FileFormat

LOCK_TIMEOUT_SECONDS = 10
LOCK_POLL_SECONDS = 0.05
PARQUET_BATCH_ROWS = 65_536
INTEGER = re.compile(r"^[+-]?\d{1,19}$")
SUFFIXES = {fmt: tuple(suffix for suffix, value in FORMAT_SUFFIXES.items() if value == fmt) for fmt in FileFormat.values}


@dataclass
class FileOutcome:
    """What one pass over a file found (and, erasing, changed)."""

    records_before: int = 0
    records_after: int = 0
    matched: int = 0
    affected: list[int] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FileJob:
    """One pass over a file: find the subject's records, and optionally erase them (``mode``) or collect them."""

    fmt: str
    subject_field: str
    value: str
    mode: str | None = None
    anonymise_fields: tuple[str, ...] = ()
    collect: bool = False

    @classmethod
    def for_location(cls, location, keys: SubjectKeys, fmt: str, *, mode: str | None = None, collect: bool = False) -> "FileJob":
        """Return the job for the subject of ``keys`` in ``location`` (erasing in ``mode`` when given)."""
        return cls(
            fmt=fmt,
            subject_field=location.subject_field,
            value=keys.for_location(location),
            mode=checked_mode(location, mode) if mode is not None else None,
            anonymise_fields=tuple(location.anonymise_fields) if mode == ErasureMode.ANONYMISE else (),
            collect=collect,
        )


class FileConnector(Connector):
    """Filesystem locations: a CSV, JSON Lines or Parquet file, or a directory of them."""

    def discover(self, location, keys: SubjectKeys) -> Found:
        job = FileJob.for_location(location, keys, _format(location))
        outcomes = {name: process_file(path, job) for name, path in _files(location)}
        return Found(records=sum(o.matched for o in outcomes.values()), detail={"files": len(outcomes)})

    def erase(self, location, keys: SubjectKeys, mode: str) -> Erased:
        job = FileJob.for_location(location, keys, _format(location), mode=mode)
        outcomes: dict[str, FileOutcome] = {}
        for name, path in _files(location):
            with exclusive_lock(path):
                outcomes[name] = process_file(path, job)
        return erased_from(outcomes, job)

    def export(self, location, keys: SubjectKeys) -> Exported:
        job = FileJob.for_location(location, keys, _format(location), collect=True)
        outcomes = {name: process_file(path, job) for name, path in _files(location)}
        return exported_from(outcomes)


def erased_from(outcomes: dict[str, FileOutcome], job: FileJob) -> Erased:
    """Return the evidence of an erasure over several files (or objects), keyed by name."""
    keys = [f"{name}#{number}" if name else str(number) for name, outcome in outcomes.items() for number in outcome.affected]
    if job.mode == ErasureMode.ANONYMISE:
        fields = list(job.anonymise_fields)
    else:
        fields = list(dict.fromkeys(name for outcome in outcomes.values() for name in outcome.fields))
    return Erased(
        records_affected=len(keys),
        fields=fields,
        keys_sha256=keys_digest(keys),
        rows_before=sum(o.records_before for o in outcomes.values()),
        rows_after=sum(o.records_after for o in outcomes.values()),
        detail={"files": len(outcomes), "files_changed": sum(1 for o in outcomes.values() if o.affected), "mode": job.mode},
    )


def exported_from(outcomes: dict[str, FileOutcome]) -> Exported:
    """Return the records collected from several files, each tagged with its file when there are several."""
    several = len(outcomes) > 1
    records = [
        ({"_file": name, **record} if several else record) for name, outcome in outcomes.items() for record in outcome.records
    ]
    fields = list(dict.fromkeys(name for outcome in outcomes.values() for name in outcome.fields))
    return Exported(records=records, fields=(["_file", *fields] if several else fields))


# --- Locating the files -----------------------------------------------------------------------


def _format(location) -> str:
    if location.format in FileFormat.values:
        return location.format
    guessed = FORMAT_SUFFIXES.get(Path(location.path).suffix.lower())
    if guessed is None:
        raise PermanentError(f"Location {location.name!r} does not say its file format ({', '.join(FileFormat.values)}).")
    return guessed.value


def checked_path(raw: str) -> Path:
    """Return ``raw`` resolved if it still lies under an allowed root; raise PermanentError if not."""
    try:
        return path_under_roots(raw)
    except ValidationError as error:
        raise PermanentError(error.messages[0]) from None


def _files(location) -> list[tuple[str, Path]]:
    """Return the location's files as (name relative to the location, path); a single file's name is ""."""
    path = checked_path(location.path)
    if path.is_file():
        return [("", path)]
    if not path.exists():
        raise PermanentError(f"File {path} does not exist.")
    if not path.is_dir():
        raise PermanentError(f"{path} is neither a file nor a directory.")
    suffixes = SUFFIXES[_format(location)]
    try:
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes and not p.name.startswith("."))
    except OSError as error:
        raise os_error(error, what=str(path)) from None
    # Each file again: a symlink inside the directory may point outside the roots.
    return [(str(candidate.relative_to(path)), checked_path(str(candidate))) for candidate in found if candidate.is_file()]


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold the lock that serialises erasures of ``path``; TransientError when another holds it too long."""
    lock_path = path.with_name(f".{path.name}.custos-lock")
    try:
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise os_error(error, what=str(lock_path)) from None
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TransientError(f"File {path} is being changed by another erasure; Custos will try again.") from None
                time.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(descriptor)


# --- One pass over one file -------------------------------------------------------------------


def process_file(path: Path, job: FileJob) -> FileOutcome:
    """Read ``path`` once for ``job``; when erasing and a record is affected, replace the file atomically."""
    try:
        if job.fmt == FileFormat.PARQUET:
            return _process_parquet(path, job)
        return _process_lines(path, job)
    except ConnectorError:
        raise
    except UnicodeDecodeError:
        raise PermanentError(f"File {path} is not UTF-8 text.") from None
    except csv.Error as error:
        raise PermanentError(f"File {path} is not valid CSV: {error}.") from None
    except OSError as error:
        raise os_error(error, what=f"File {path}") from None


class _Replacement:
    """A temporary file beside ``path`` that becomes ``path`` on ``commit`` (else is removed)."""

    def __init__(self, path: Path):
        self.path = path
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".custos-tmp")
        os.close(descriptor)
        self.temp_path = Path(name)

    def commit(self) -> None:
        original = self.path.stat()
        with open(self.temp_path, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(self.temp_path, original.st_mode & 0o7777)
        try:
            os.chown(self.temp_path, original.st_uid, original.st_gid)
        except PermissionError:
            pass  # Only root may give a file away; the owner is then Custos's user.
        os.replace(self.temp_path, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def discard(self) -> None:
        self.temp_path.unlink(missing_ok=True)


@contextmanager
def _replacement(path: Path, job: FileJob) -> Iterator[_Replacement | None]:
    if job.mode is None:
        yield None
        return
    replacement = _Replacement(path)
    try:
        yield replacement
    finally:
        replacement.discard()


def _equals(found: Any, value: str) -> bool:
    if isinstance(found, str):
        return found == value
    return isinstance(found, int) and not isinstance(found, bool) and str(found) == value


def _line_ending(raw: bytes) -> str:
    return "\r\n" if raw.endswith(b"\r\n") else "\n" if raw.endswith(b"\n") else ""


def _process_lines(path: Path, job: FileJob) -> FileOutcome:
    records = _csv_records if job.fmt == FileFormat.CSV else _jsonl_records
    outcome = FileOutcome()
    with open(path, "rb") as source, _replacement(path, job) as replacement:
        output = open(replacement.temp_path, "wb") if replacement else None
        try:
            for raw, rewritten in records(source, path, job, outcome):
                if output is not None and rewritten is not _DROPPED:
                    output.write(raw if rewritten is None else rewritten)
        finally:
            if output is not None:
                output.close()
        _finish(outcome, job, replacement)
    return outcome


_DROPPED = object()


def _finish(outcome: FileOutcome, job: FileJob, replacement: "_Replacement | None") -> None:
    outcome.records_after = outcome.records_before - (len(outcome.affected) if job.mode == ErasureMode.DELETE else 0)
    if replacement and outcome.affected:
        replacement.commit()


def _csv_records(source, path: Path, job: FileJob, outcome: FileOutcome):
    """Yield (original bytes, replacement bytes or None to keep, or _DROPPED) per CSV record."""
    consumed: list[bytes] = []

    def lines() -> Iterator[str]:
        for number, line in enumerate(source):
            consumed.append(line)
            yield line.decode("utf-8-sig" if number == 0 else "utf-8")

    header: list[str] | None = None
    subject = -1
    blanked: list[int] = []
    for row in csv.reader(lines()):
        raw = b"".join(consumed)
        consumed.clear()
        if header is None:
            if not row:
                yield raw, None
                continue
            header = row
            outcome.fields = list(header)
            subject = _csv_column(header, job.subject_field, path)
            blanked = [_csv_column(header, name, path) for name in job.anonymise_fields] if job.mode == ErasureMode.ANONYMISE else []
            yield raw, None
            continue
        if not row:
            yield raw, None
            continue
        outcome.records_before += 1
        if not (subject < len(row) and row[subject] == job.value):
            yield raw, None
            continue
        outcome.matched += 1
        if job.collect:
            outcome.records.append({name: (row[i] if i < len(row) else "") for i, name in enumerate(header)})
        if job.mode == ErasureMode.DELETE:
            outcome.affected.append(outcome.records_before)
            yield raw, _DROPPED
        elif job.mode == ErasureMode.ANONYMISE and any(i < len(row) and row[i] != "" for i in blanked):
            outcome.affected.append(outcome.records_before)
            changed = [("" if i in blanked else cell) for i, cell in enumerate(row)]
            text = io.StringIO()
            csv.writer(text, lineterminator=_line_ending(raw)).writerow(changed)
            yield raw, text.getvalue().encode("utf-8")
        else:
            yield raw, None


def _csv_column(header: list[str], name: str, path: Path) -> int:
    try:
        return header.index(name)
    except ValueError:
        raise PermanentError(f"Column {name} does not exist in file {path} (its columns: {', '.join(header)}).") from None


def _json_get(record: dict, name: str) -> tuple[bool, Any]:
    if name in record:
        return True, record[name]
    current: Any = record
    for part in name.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _json_blank(record: dict, name: str) -> bool:
    """Set field ``name`` to "" if it holds something; return whether it did."""
    if name in record:
        holder, last = record, name
    else:
        *parents, last = name.split(".")
        holder = record
        for part in parents:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or last not in holder:
            return False
    if holder[last] in ("", None):
        return False
    holder[last] = ""
    return True


def _jsonl_records(source, path: Path, job: FileJob, outcome: FileOutcome):
    """Yield (original bytes, replacement bytes or None to keep, or _DROPPED) per JSON line."""
    seen_field = False
    for number, raw in enumerate(source, start=1):
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        if not text.strip():
            yield raw, None
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise PermanentError(f"Line {number} of file {path} is not valid JSON: {error.msg}.") from None
        if not isinstance(record, dict):
            raise PermanentError(f"Line {number} of file {path} is not a JSON object.")
        outcome.records_before += 1
        for name in record:
            if name not in outcome.fields:
                outcome.fields.append(name)
        present, found = _json_get(record, job.subject_field)
        seen_field = seen_field or present
        if not (present and _equals(found, job.value)):
            yield raw, None
            continue
        outcome.matched += 1
        if job.collect:
            outcome.records.append(record)
        if job.mode == ErasureMode.DELETE:
            outcome.affected.append(outcome.records_before)
            yield raw, _DROPPED
        elif job.mode == ErasureMode.ANONYMISE:
            changed = [_json_blank(record, name) for name in job.anonymise_fields]
            if any(changed):
                outcome.affected.append(outcome.records_before)
                yield raw, (json.dumps(record, ensure_ascii=False) + _line_ending(raw)).encode("utf-8")
            else:
                yield raw, None
        else:
            yield raw, None
    if outcome.records_before and not seen_field:
        raise PermanentError(f"No record of file {path} has the field {job.subject_field}.")


# --- Parquet ------------------------------------------------------------------------------------


def _process_parquet(path: Path, job: FileJob) -> FileOutcome:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except pa.ArrowInvalid:
        raise PermanentError(f"File {path} is not a Parquet file.") from None
    schema = parquet.schema_arrow
    outcome = FileOutcome(fields=list(schema.names), records_before=parquet.metadata.num_rows)
    if job.subject_field not in schema.names:
        raise PermanentError(f"Column {job.subject_field} does not exist in file {path} (its columns: {', '.join(schema.names)}).")
    blanked = list(job.anonymise_fields) if job.mode == ErasureMode.ANONYMISE else []
    for name in blanked:
        if name not in schema.names:
            raise PermanentError(f"Column {name} does not exist in file {path} (its columns: {', '.join(schema.names)}).")
    needle = _parquet_needle(schema.field(job.subject_field).type, job.value)
    compression = "snappy"
    if parquet.metadata.num_row_groups:
        compression = parquet.metadata.row_group(0).column(0).compression.lower()
    with _replacement(path, job) as replacement:
        writer = pq.ParquetWriter(replacement.temp_path, schema, compression=compression) if replacement else None
        try:
            offset = 0
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                column = batch.column(job.subject_field)
                if needle is None:
                    match = pa.array([False] * batch.num_rows)
                elif isinstance(needle, str) and not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                    match = pc.fill_null(pc.equal(pc.cast(column, pa.string()), needle), False)
                else:
                    match = pc.fill_null(pc.equal(column, needle), False)
                outcome.matched += pc.sum(pc.cast(match, pa.int64())).as_py() or 0
                if job.collect:
                    outcome.records.extend(json_safe(row) for row in batch.filter(match).to_pylist())
                if job.mode == ErasureMode.DELETE:
                    affected = match
                    kept = batch.filter(pc.invert(match))
                elif job.mode == ErasureMode.ANONYMISE:
                    affected = pc.and_(match, _any_not_blank(batch, blanked))
                    kept = _blank_columns(batch, blanked, affected)
                else:
                    affected, kept = None, batch
                if affected is not None:
                    outcome.affected.extend(offset + 1 + index for index, hit in enumerate(affected.to_pylist()) if hit)
                if writer is not None:
                    writer.write_batch(kept)
                offset += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
        _finish(outcome, job, replacement)
    return outcome


def _parquet_needle(arrow_type, value: str):
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return int(value) if INTEGER.match(value.strip()) else None
    return value


def _any_not_blank(batch, names: list[str]):
    import pyarrow as pa
    import pyarrow.compute as pc

    result = pa.array([False] * batch.num_rows)
    for name in names:
        column = batch.column(name)
        present = pc.is_valid(column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            present = pc.and_(present, pc.not_equal(column, ""))
        result = pc.or_(result, pc.fill_null(present, False))
    return result


def _blank_columns(batch, names: list[str], affected):
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for name in batch.schema.names:
        column = batch.column(name)
        if name in names:
            text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
            blank = pa.scalar("", type=column.type) if text else pa.scalar(None, type=column.type)
            column = pc.if_else(affected, blank, column)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)
