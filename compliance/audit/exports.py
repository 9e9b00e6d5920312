"""Streamed, audited downloads of a register as CSV or JSON Lines.

Every export in Custos goes through ``stream_export``: it records one
``export.downloaded`` audit event, then returns a ``StreamingHttpResponse``
whose body is produced row by row while the client reads it, so a register of
a million rows never sits in memory. Rows come from ``batched`` (keyset pages
of a queryset, a fixed number of rows in memory at a time) or from any other
iterable the caller builds lazily.

Why the event is recorded when the export starts, with its filters and not
its row count: the body is written after the view has returned, outside any
transaction, while the client reads it; an audit event must be appended inside
a transaction with the decision it records, and a write at the end of the body
would be lost whenever the client stops reading (and could not fail the
download it describes). What the event proves is who asked for which rows
(register, format, filters) and when; the rows themselves follow from the
filters and the user's permissions at that time. Counting the rows first would
cost a second scan of a table that may hold millions of rows.

Cells are plain text: values are written as text (datetimes in ISO 8601,
booleans as ``true``/``false``, lists joined by ``;``), and in CSV a cell that
a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) is prefixed with ``'`` (OWASP "CSV injection").
JSON Lines values keep their JSON types; nothing is escaped there, since no
spreadsheet evaluates JSON.
"""

import csv
import datetime
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise

from compliance.audit.services import record_event

FORMATS = ("csv", "jsonl")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
EXPORT_ACTION = "export.downloaded"
# Spreadsheets run a cell starting with one of these as a formula; exports quote it with "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_QUOTE = "'"
LIST_SEPARATOR = ";"
# A byte-order mark, so spreadsheets open a CSV file as UTF-8.
BYTE_ORDER_MARK = "\ufeff"
BATCH_SIZE = 2000
# Lines are joined into pieces of about this many characters before they are sent.
PIECE_CHARS = 64 * 1024
REGISTER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


class ExportError(ValueError):
    """An export cannot be produced as asked; the message says why."""


# --- Cells ------------------------------------------------------------------------------


def neutralise_formula(text: str) -> str:
    """Return ``text`` with a leading ``'`` if a spreadsheet would run it as a formula, else unchanged."""
    return FORMULA_QUOTE + text if text.startswith(FORMULA_STARTS) else text


def unquote_formula(cell: str) -> str:
    """Undo ``neutralise_formula`` on a cell read back from an exported CSV file (so exports round-trip)."""
    if cell.startswith(FORMULA_QUOTE) and cell[1:2] and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return LIST_SEPARATOR.join(_text(item) for item in items)
    if isinstance(value, Mapping):
        return json.dumps(json_value(value), sort_keys=True, ensure_ascii=False)
    return str(value)


def csv_cell(value: Any) -> str:
    """Return ``value`` as one CSV cell: plain text, ISO 8601 datetimes, formula-like text quoted."""
    return neutralise_formula(_text(value))


def json_value(value: Any) -> Any:
    """Return ``value`` as a JSON-able value: ISO 8601 datetimes, decimals and ids as text, lists and dicts kept."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | Promise):
        return str(value)
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return [json_value(item) for item in sorted(value)]
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return str(value)


# --- Lines ------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _values(row: Any, columns: Sequence[str]) -> Sequence[Any]:
    if isinstance(row, Mapping):
        return [row.get(column) for column in columns]
    values = list(row)
    if len(values) != len(columns):
        raise ExportError(f"A row has {len(values)} values for {len(columns)} columns.")
    return values


def csv_lines(columns: Sequence[str], rows: Iterable[Any]) -> Iterator[str]:
    """Yield CSV text, the header first, then one line per row (a mapping by column, or values in column order)."""
    writer = csv.writer(_Echo())
    yield writer.writerow([neutralise_formula(column) for column in columns])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in _values(row, columns)])


def jsonl_lines(columns: Sequence[str], rows: Iterable[Any]) -> Iterator[str]:
    """Yield JSON Lines: one object per row with the columns as keys, in column order."""
    for row in rows:
        record = {column: json_value(value) for column, value in zip(columns, _values(row, columns), strict=True)}
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_lines(format: str, columns: Sequence[str], rows: Iterable[Any]) -> Iterator[str]:
    """Yield the rows as ``format`` ("csv" or "jsonl") text, line by line."""
    if format == "csv":
        return csv_lines(columns, rows)
    if format == "jsonl":
        return jsonl_lines(columns, rows)
    raise ExportError(f"Exports are CSV or JSON Lines ({', '.join(FORMATS)}), not {format!r}.")


def _pieces(lines: Iterable[str], *, prefix: str = "") -> Iterator[bytes]:
    # One write per line would cost a system call per row; about 64 KB at a
    # time keeps memory flat and the transfer efficient.
    buffer = [prefix] if prefix else []
    size = len(prefix)
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= PIECE_CHARS:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


# --- Rows -------------------------------------------------------------------------------


def batched(
    queryset: QuerySet,
    *,
    key: str = "pk",
    batch_size: int = BATCH_SIZE,
    transform: Callable[[Any], Any] | None = None,
) -> Iterator[Any]:
    """Yield the queryset's rows (in ``key`` order), fetched in keyset pages of ``batch_size``.

    ``key`` must be a unique, ordered field; each page is one short query
    (``key > last``), so no cursor or transaction stays open while a client
    downloads slowly, and at most one page is held in memory. Works on model
    querysets and on ``.values()`` querysets (which must include ``key``;
    ``pk`` is read as the model's primary key name). ``transform`` maps each
    row before it is yielded. Prefetches on the queryset run once per page.
    """
    if batch_size < 1:
        raise ExportError("A batch holds at least one row.")
    field_name = queryset.model._meta.pk.name if key == "pk" else key
    ordered = queryset.order_by(field_name)
    last = None
    while True:
        page = ordered if last is None else ordered.filter(**{f"{field_name}__gt": last})
        rows = list(page[:batch_size])
        if not rows:
            return
        for row in rows:
            yield transform(row) if transform else row
        final = rows[-1]
        last = final[field_name] if isinstance(final, Mapping) else getattr(final, field_name)
        if len(rows) < batch_size:
            return


# --- The download -----------------------------------------------------------------------


@transaction.atomic
def record_export(
    *,
    actor,
    register: str,
    format: str,
    filters: Mapping[str, Any] | None = None,
    target=None,
    details: Mapping[str, Any] | None = None,
):
    """Record that ``actor`` downloaded ``register`` as ``format`` with ``filters`` (an ``export.downloaded`` event).

    ``details`` adds facts known when the file is complete before it is sent
    (a generated PDF's ``sha256`` and size, say); no personal data.
    """
    kept = {name: json_value(value) for name, value in (filters or {}).items() if value not in (None, "", [], ())}
    data = {"register": register, "format": format, "filters": kept}
    data.update({name: json_value(value) for name, value in (details or {}).items() if name not in data})
    return record_event(actor=actor, action=EXPORT_ACTION, target=target, data=data)


def export_filename(register: str, format: str, *, on: datetime.date | None = None) -> str:
    """Return the download's file name: ``custos-<register>-<date>.<csv|jsonl>``."""
    day = on or timezone.localdate()
    return f"custos-{register}-{day.isoformat()}.{format}"


def stream_export(
    *,
    actor,
    register: str,
    format: str,
    columns: Sequence[str],
    rows: Iterable[Any],
    filters: Mapping[str, Any] | None = None,
    target=None,
    filename: str | None = None,
) -> StreamingHttpResponse:
    """Record the export (``record_export``) and return the rows as a streamed attachment in ``format``.

    The caller has already scoped ``rows`` to what ``actor`` may see and must
    pass them lazily (``batched`` or a generator), never as a list of all
    rows. ``register`` names the register in the audit event and the file
    name (lower-case letters, digits, ``-`` and ``_``). The response is an
    attachment, never cached (``no-store``) nor sniffed (``nosniff``).
    """
    if format not in FORMATS:
        raise ExportError(f"Exports are CSV or JSON Lines ({', '.join(FORMATS)}), not {format!r}.")
    if not REGISTER_NAME.match(register):
        raise ExportError(f"A register name is lower-case letters, digits, '-' and '_', not {register!r}.")
    if not columns:
        raise ExportError("An export needs at least one column.")
    if filename is not None and not FILENAME.match(filename):
        raise ExportError(f"A download's file name is letters, digits, '.', '-' and '_', not {filename!r}.")
    record_export(actor=actor, register=register, format=format, filters=filters, target=target)
    lines = export_lines(format, columns, rows)
    prefix = BYTE_ORDER_MARK if format == "csv" else ""
    response = StreamingHttpResponse(_pieces(lines, prefix=prefix), content_type=CONTENT_TYPES[format])
    name = filename or export_filename(register, format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
