"""Reading an import file as a stream of rows: CSV with a header row, or JSON Lines.

The file is never held in memory: lines are read one at a time, each at most
MAX_LINE_BYTES, so a 10 MB line is skipped (and reported) without being kept.
Every row carries the number of its first line in the file, and the reader
knows the byte offset and line number reached after each row, which is where
an interrupted import resumes. A line that is not UTF-8 or is too long makes
its row fail with a reason; a file that cannot be read at all (empty, UTF-16,
a CSV header that names unknown columns or lacks required ones) raises
FileRefused.
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

MAX_LINE_BYTES = 64 * 1024
SKIP_CHUNK_BYTES = 64 * 1024
REQUIRED_FIELDS = ("subject", "purpose", "status", "collection_method")
OPTIONAL_FIELDS = ("notice_version", "occurred_at", "expires_at", "event_id", "jurisdiction", "reason")
EVIDENCE_FIELDS = ("ip", "ip_hash", "user_agent", "user_agent_hash", "source_system")
# A CSV row is flat, so the evidence comes in columns of its own; a JSON line nests it as in the API.
CSV_COLUMNS = REQUIRED_FIELDS + OPTIONAL_FIELDS + EVIDENCE_FIELDS
JSON_KEYS = REQUIRED_FIELDS + OPTIONAL_FIELDS + ("evidence",)
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
UTF8_MARK = "\ufeff"

EMPTY_FILE = "The file is empty: it has no rows to import."
UTF16_FILE = "The file is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8) and upload it again."
NOT_UTF8 = "Line {line} is not UTF-8 text (byte 0x{byte:02X} at position {position}): save the file as UTF-8."
HAS_NUL = "Line {line} contains a NUL character (position {position}): is it a text file?"
TOO_LONG = "Line {line} is {length:,} bytes long; a row may be at most {limit:,} bytes."


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class RawRow:
    """One row as read: its first line number and its fields, or why it could not be read."""

    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    problem: str = ""


class LineSource:
    """The lines of a binary stream as text, tracking the line number and byte offset reached.

    A line that is too long or not UTF-8 never raises: it reads as an empty
    line, and its problem is kept in ``problems`` (line → reason) for the row
    that contains it.
    """

    def __init__(self, stream: BinaryIO, *, offset: int = 0, line: int = 0):
        self.stream = stream
        self.offset = offset
        self.line = line
        self.problems: dict[int, str] = {}

    def __iter__(self):
        return self

    def __next__(self) -> str:
        raw = self.stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        self.line += 1
        self.offset += len(raw)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            length = len(raw) + self._skip_rest_of_line()
            self.problems[self.line] = TOO_LONG.format(line=self.line, length=length, limit=MAX_LINE_BYTES)
            return "\n"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            self.problems[self.line] = NOT_UTF8.format(line=self.line, byte=raw[error.start], position=error.start + 1)
            return "\n"
        if "\x00" in text:
            # No database column holds it, and no consent record needs it.
            self.problems[self.line] = HAS_NUL.format(line=self.line, position=text.index("\x00") + 1)
            return "\n"
        return text

    def _skip_rest_of_line(self) -> int:
        skipped = 0
        while True:
            chunk = self.stream.readline(SKIP_CHUNK_BYTES)
            skipped += len(chunk)
            self.offset += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                return skipped

    def problem_between(self, first: int, last: int) -> str:
        """Return (and forget) the first problem of lines ``first`` to ``last``, or an empty string."""
        found = ""
        for number in [number for number in self.problems if first <= number <= last]:
            found = found or self.problems[number]
            del self.problems[number]
        return found


def _header(names: list[str]) -> list[str]:
    columns = [name.strip().lower() for name in names]
    if columns and columns[0].startswith(UTF8_MARK):
        columns[0] = columns[0][1:]
    unknown = [name for name in columns if name not in CSV_COLUMNS]
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    described = (
        f"The first line names the columns: {', '.join(REQUIRED_FIELDS)} (required) and any of "
        f"{', '.join(OPTIONAL_FIELDS + EVIDENCE_FIELDS)}."
    )
    if unknown:
        shown = ", ".join(repr(name) for name in unknown[:10])
        raise FileRefused(f"The header names columns Custos does not know: {shown}. {described}")
    if missing:
        raise FileRefused(f"The header lacks the columns {', '.join(missing)}. {described}")
    if repeated:
        raise FileRefused(f"The header names the columns {', '.join(repeated)} more than once.")
    return columns


class ImportFile:
    """An import file opened for reading rows from a given byte offset and line.

    Use as a context manager; ``rows()`` yields RawRow objects, after each of
    which ``offset`` and ``line`` say where the next row starts.
    """

    def __init__(self, path: Path, file_format: str):
        self.path = path
        self.file_format = file_format
        self.columns: list[str] = []
        self._stream: BinaryIO | None = None
        self._source: LineSource | None = None

    def __enter__(self) -> "ImportFile":
        self._stream = self.path.open("rb")
        try:
            start = self._stream.read(SKIP_CHUNK_BYTES)
            if start[:2] in UTF16_MARKS:
                raise FileRefused(UTF16_FILE)
            if not start.strip():
                raise FileRefused(EMPTY_FILE)
            self._stream.seek(0)
            self._source = LineSource(self._stream)
            if self.file_format == "csv":
                self._read_header()
        except BaseException:
            self._stream.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self._stream is not None:
            self._stream.close()

    @property
    def offset(self) -> int:
        return self._source.offset

    @property
    def line(self) -> int:
        return self._source.line

    def _read_header(self) -> None:
        reader = csv.reader(self._source)
        try:
            names = next(reader, None)
            while names == [] and not self._source.problems:
                names = next(reader, None)
        except csv.Error as error:
            raise FileRefused(f"The header (line {self._source.line}) could not be read as CSV: {error}.") from None
        problem = self._source.problem_between(1, self._source.line)
        if problem:
            raise FileRefused(f"The header could not be read. {problem}")
        if names is None:
            raise FileRefused(EMPTY_FILE)
        self.columns = _header(names)

    def resume_at(self, *, offset: int, line: int) -> None:
        """Continue after the rows already committed: ``offset`` bytes into the file, after line ``line``."""
        if offset <= self._source.offset:
            return
        self._stream.seek(offset)
        self._source = LineSource(self._stream, offset=offset, line=line)

    def rows(self) -> Iterator[RawRow]:
        """Yield the rows from the current position to the end of the file, blank lines left out."""
        if self.file_format == "csv":
            yield from self._csv_rows()
        else:
            yield from self._json_rows()

    def _csv_rows(self) -> Iterator[RawRow]:
        source = self._source
        reader = csv.reader(source)
        width = len(self.columns)
        while True:
            first = source.line + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield RawRow(line=first, problem=source.problem_between(first, source.line) or f"Line {first} could not be read as CSV: {error}.")
                continue
            problem = source.problem_between(first, source.line)
            if problem:
                yield RawRow(line=first, problem=problem)
            elif not any(value.strip() for value in values):
                continue
            elif len(values) != width:
                yield RawRow(
                    line=first,
                    problem=f"Line {first} has {len(values)} values but the header names {width} columns.",
                )
            else:
                yield RawRow(line=first, fields=dict(zip(self.columns, values, strict=True)))

    def _json_rows(self) -> Iterator[RawRow]:
        source = self._source
        for text in source:
            line = source.line
            problem = source.problem_between(line, line)
            if problem:
                yield RawRow(line=line, problem=problem)
                continue
            text = text.removeprefix(UTF8_MARK) if line == 1 else text
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                yield RawRow(line=line, problem=f"Line {line} is not valid JSON: {error.msg} at column {error.colno}.")
                continue
            if not isinstance(value, dict):
                yield RawRow(line=line, problem=f"Line {line} is not a JSON object: each line holds one consent as {{...}}.")
                continue
            unknown = sorted(str(key) for key in value if key not in JSON_KEYS)
            if unknown:
                yield RawRow(
                    line=line,
                    problem=f"Line {line} has keys Custos does not know: {', '.join(unknown[:10])}. "
                    f"The keys are: {', '.join(JSON_KEYS)}.",
                )
                continue
            yield RawRow(line=line, fields=value)


def sniff_format(path: Path) -> str:
    """Return "jsonl" when the file's first non-blank character opens a JSON object, "csv" otherwise."""
    with path.open("rb") as stream:
        start = stream.read(SKIP_CHUNK_BYTES).lstrip().removeprefix(UTF8_MARK.encode("utf-8"))
    return "jsonl" if start.startswith(b"{") else "csv"
