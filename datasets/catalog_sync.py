"""The dataset catalog as a file: reading CSV or YAML rows for an import, writing CSV for an export.

One column (CSV) or key (YAML) per dataset field, so a file exported here
imports back unchanged. Lists (categories, regulations, lawful bases, purposes,
jurisdictions) are codes separated by ";" in CSV and lists in YAML; the owner
is a username. Reading checks each value's type and reports it per row and
column, with the row's line number in the file; what the values mean (known
codes, ranges, the owner's role) is checked by the registry's services when
the rows are applied (``datasets.services.sync_catalog``).
"""

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import yaml

from compliance.audit.exports import csv_cell, csv_lines, unquote_formula

MAX_FILE_BYTES = 2 * 1024 * 1024
FORMATS = {".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}

# The file's columns, in export order; "k", "epsilon" and "delta" are the anonymisation parameters.
COLUMNS = (
    "name",
    "slug",
    "description",
    "owner",
    "data_categories",
    "sensitivity",
    "subject_jurisdictions",
    "regulations",
    "regulations_override",
    "lawful_bases",
    "purposes",
    "retention_days",
    "retention_action",
    "source",
    "collection_channel",
    "encryption_at_rest",
    "encryption_in_transit",
    "anonymisation_technique",
    "k",
    "epsilon",
    "delta",
    "privacy_budget_epsilon",
)
COLUMN_TO_FIELD = {"k": "anonymisation_k", "epsilon": "anonymisation_epsilon", "delta": "anonymisation_delta"}
FIELD_TO_COLUMN = {field_name: column for column, field_name in COLUMN_TO_FIELD.items()}
TEXT_COLUMNS = frozenset(
    {"name", "slug", "description", "owner", "source", "collection_channel", "encryption_at_rest"}
)
# An empty cell here means "the default" on a new dataset and "unchanged" on an existing one.
CHOICE_COLUMNS = frozenset({"sensitivity", "retention_action", "anonymisation_technique"})
LIST_COLUMNS = frozenset({"data_categories", "subject_jurisdictions", "regulations", "lawful_bases", "purposes"})
WHOLE_NUMBER_COLUMNS = frozenset({"retention_days", "k"})
NUMBER_COLUMNS = frozenset({"epsilon", "delta", "privacy_budget_epsilon"})
BOOLEAN_COLUMNS = frozenset({"encryption_in_transit", "regulations_override"})
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0", ""})
# Written and read as the kernel's exports write lists (compliance.audit.exports.LIST_SEPARATOR).
LIST_SEPARATOR = ";"


class CatalogFileError(Exception):
    """The file as a whole cannot be read as a catalog; the message says why and what to do."""

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass
class CatalogRow:
    """One dataset read from the file.

    ``values`` holds the columns the file gives, by service field name
    (``anonymisation_k`` for the ``k`` column), with ``owner`` still a
    username; ``errors`` the values that could not be read, by column.
    """

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.values.get("slug") or ""

    @property
    def name(self) -> str:
        return self.values.get("name") or ""


@dataclass(frozen=True)
class RowOutcome:
    """What applying one row did (or, on a check, would do): ``created``, ``updated`` or ``unchanged``."""

    line: int
    slug: str
    name: str
    action: str


@dataclass(frozen=True)
class RowError:
    """Why one row cannot be applied: messages by column (``row`` for the row as a whole)."""

    line: int
    slug: str
    name: str
    messages: dict[str, list[str]]


@dataclass
class SyncReport:
    """The outcome of a catalog sync: what each row did, the rows refused, and whether it was kept.

    ``applied`` is False after a check (dry run) and whenever a row was
    refused, since then nothing changes.
    """

    outcomes: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    def _with(self, action: str) -> list[RowOutcome]:
        return [outcome for outcome in self.outcomes if outcome.action == action]

    @property
    def created(self) -> list[RowOutcome]:
        return self._with("created")

    @property
    def updated(self) -> list[RowOutcome]:
        return self._with("updated")

    @property
    def unchanged(self) -> list[RowOutcome]:
        return self._with("unchanged")


# --- Reading ---------------------------------------------------------------------------


def catalog_format(filename: str) -> str:
    """Return ``csv`` or ``yaml`` from the file's name; raise CatalogFileError for any other kind."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in FORMATS:
        raise CatalogFileError(f"Upload a .csv, .yaml or .yml file; {filename or 'this file'!r} is none of them.")
    return FORMATS[suffix]


def check_size(size: int) -> None:
    """Raise CatalogFileError when a file of ``size`` bytes is over the limit."""
    if size > MAX_FILE_BYTES:
        raise CatalogFileError(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB."
            " Split the catalog into smaller files."
        )


def decode_catalog(data: bytes) -> str:
    """Return the file's text (UTF-8, with or without a byte-order mark); raise CatalogFileError otherwise."""
    check_size(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogFileError(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read). Save it as UTF-8 — in a"
            " spreadsheet, choose \"CSV UTF-8\" — and upload it again."
        ) from None
    if "\x00" in text:
        raise CatalogFileError("The file holds binary data, not text. Upload the catalog as CSV or YAML.")
    return text


def read_catalog(text: str, *, format: str) -> list[CatalogRow]:
    """Return the rows of a catalog file's ``text`` in ``format`` (csv or yaml); raise CatalogFileError."""
    check_size(len(text.encode("utf-8")))
    rows = _read_csv(text) if format == "csv" else _read_yaml(text)
    if not rows:
        raise CatalogFileError("The file lists no datasets.")
    return rows


def _unknown_columns_message(names: Iterable[str]) -> str:
    return f"Unknown column(s): {', '.join(names)}. The columns are: {', '.join(COLUMNS)}."


def _read_csv(text: str) -> list[CatalogRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise CatalogFileError("The file is empty: its first line must name the columns, such as name,slug,owner.")
        columns = [cell.strip().lower() for cell in header]
        _check_header(columns)
        rows = []
        last_line = reader.line_num
        for cells in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = CatalogRow(line=first_line)
            if len(cells) > len(columns):
                row.errors.setdefault("row", []).append(
                    f"This row has {len(cells)} cells but the first line names {len(columns)} columns."
                )
            for column, cell in zip(columns, cells):
                _read_value(row, column, unquote_formula(cell.strip()), from_text=True)
            for column in columns[len(cells):]:
                _read_value(row, column, "", from_text=True)
            rows.append(row)
    except csv.Error as error:
        raise CatalogFileError(f"Line {reader.line_num} is not valid CSV: {error}.") from None
    return rows


def _check_header(columns: list[str]) -> None:
    unknown = [column or "(empty)" for column in columns if column not in COLUMNS]
    if unknown:
        raise CatalogFileError(
            "The first line must name the columns. " + _unknown_columns_message(unknown)
        )
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise CatalogFileError(f"These columns appear more than once: {', '.join(repeated)}.")
    if "name" not in columns and "slug" not in columns:
        raise CatalogFileError("The file needs a name column (for new datasets) or a slug column (to update them).")


def _yaml_items(text: str) -> list[tuple[int, Any]]:
    """Return ``(line, item)`` for each dataset in a YAML catalog: a list, or a mapping with a ``datasets`` list."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise CatalogFileError("The file is empty.")
        document = loader.construct_document(root)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "it cannot be read"
        raise CatalogFileError(f"The file is not valid YAML{where}: {problem}.") from None
    finally:
        loader.dispose()
    sequence = root
    if isinstance(document, dict) and isinstance(document.get("datasets"), list):
        sequence = next(value for key, value in root.value if key.value == "datasets")
        document = document["datasets"]
    if not isinstance(document, list):
        raise CatalogFileError(
            "A YAML catalog is a list of datasets, or a mapping whose datasets: key holds that list."
        )
    return [(node.start_mark.line + 1, item) for node, item in zip(sequence.value, document)]


def _read_yaml(text: str) -> list[CatalogRow]:
    rows = []
    for line, item in _yaml_items(text):
        row = CatalogRow(line=line)
        if not isinstance(item, dict):
            row.errors["row"] = ["Each dataset is a mapping of keys such as name: and slug:, not a single value."]
            rows.append(row)
            continue
        for key, value in item.items():
            column = str(key).strip().lower()
            if column not in COLUMNS:
                row.errors.setdefault(str(key), []).append(f"Not a catalog key. The keys are: {', '.join(COLUMNS)}.")
                continue
            _read_value(row, column, value, from_text=False)
        rows.append(row)
    return rows


def _read_value(row: CatalogRow, column: str, raw: Any, *, from_text: bool) -> None:
    """Put ``raw`` (a CSV cell, or a YAML value) into ``row.values`` as its field's type, or note why not."""
    try:
        value = _convert(column, raw, from_text=from_text)
    except ValueError as error:
        row.errors.setdefault(column, []).append(str(error))
        return
    if column in CHOICE_COLUMNS and value == "":
        return
    row.values[COLUMN_TO_FIELD.get(column, column)] = value


def _convert(column: str, raw: Any, *, from_text: bool) -> Any:
    if raw is None:
        raw = ""
    if column in LIST_COLUMNS:
        return _as_list(raw)
    if isinstance(raw, list | dict):
        raise ValueError("Give a single value here, not a list or mapping.")
    if column in BOOLEAN_COLUMNS:
        return _as_boolean(raw)
    if column in WHOLE_NUMBER_COLUMNS:
        return _as_number(raw, whole=True)
    if column in NUMBER_COLUMNS:
        return _as_number(raw, whole=False)
    return str(raw).strip()


def _as_list(raw: Any) -> list[str]:
    if isinstance(raw, list):
        if any(isinstance(item, list | dict) for item in raw):
            raise ValueError("Give a list of codes.")
        items = [str(item).strip() for item in raw if item is not None]
    elif isinstance(raw, dict):
        raise ValueError("Give a list of codes, not a mapping.")
    else:
        items = [part.strip() for part in str(raw).split(LIST_SEPARATOR)]
    return [item for item in items if item]


def _as_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"Write true or false, not {str(raw).strip()!r}.")


def _as_number(raw: Any, *, whole: bool) -> int | float | None:
    if isinstance(raw, bool):
        raise ValueError(f"Write a number, not {raw!r}.")
    if isinstance(raw, int | float):
        number = raw
    else:
        text = str(raw).strip()
        if not text:
            return None
        try:
            number = int(text) if whole else float(text)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise ValueError(f"Write {kind}, not {text!r}.") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError("Write a finite number.")
    if whole and isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"Write a whole number, not {number!r}.")
        number = int(number)
    return number


# --- Writing ---------------------------------------------------------------------------


def export_row(dataset) -> list[str]:
    """Return the dataset as one CSV row in COLUMNS order (the owner by username, lists joined by ";").

    Cells are written by the kernel's ``compliance.audit.exports.csv_cell``, so
    formula-like text is quoted exactly as every other export quotes it.
    """
    values = {
        column: getattr(dataset, COLUMN_TO_FIELD.get(column, column))
        for column in COLUMNS
        if column != "owner"
    }
    values["owner"] = dataset.owner.get_username() if dataset.owner_id else ""
    return [csv_cell(values[column]) for column in COLUMNS]


def export_lines(datasets: Iterable) -> Iterator[str]:
    """Yield the catalog as CSV text, header first, one line per dataset (for a streamed download)."""
    # Cells are already quoted by export_row; quoting is idempotent ("'=" no longer starts a formula).
    return csv_lines(COLUMNS, (export_row(dataset) for dataset in datasets))
