"""Reading uploaded CSV files: text decoding, headers, and dates and times in cells."""

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from compliance.staff_training.services.errors import TrainingActionRefused

MAX_ROWS = 50_000


def decode(content: bytes | str) -> str:
    """Return the file's text (UTF-8, with or without a byte-order mark)."""
    if isinstance(content, str):
        return content.lstrip("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TrainingActionRefused("The file is not UTF-8 text; export it from the spreadsheet as CSV UTF-8.") from None


def rows(content: bytes | str, *, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row with stripped values) for each data row; refuse a file without the required columns."""
    reader = csv.DictReader(io.StringIO(decode(content), newline=""))
    headers = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in required if name not in headers]
    if not headers:
        raise TrainingActionRefused(f"The file is empty; its first line must name the columns: {', '.join(required)}.")
    if missing:
        raise TrainingActionRefused(
            f"The file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}; "
            f"the first line must name at least: {', '.join(required)}."
        )
    reader.fieldnames = headers
    for count, row in enumerate(reader, start=1):
        if count > MAX_ROWS:
            raise TrainingActionRefused(f"The file has more than {MAX_ROWS:,} rows; split it.")
        cleaned = {key: (value or "").strip() for key, value in row.items() if key is not None and isinstance(value, str)}
        if not any(cleaned.values()):
            continue
        yield reader.line_num, cleaned


def cell_date(value: str, column: str) -> date:
    """Parse an ISO date (YYYY-MM-DD) or say what is wrong with it."""
    try:
        parsed = parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(f"{column} {value!r} is not a date like 2026-03-31.")
    return parsed


def cell_datetime(value: str, column: str) -> datetime:
    """Parse an ISO date or date-time; a naive one is in the organisation's time zone."""
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f"{column} {value!r} is not a date or time like 2026-03-31 or 2026-03-31T14:05:00Z.")
        parsed = datetime(day.year, day.month, day.day, 12, 0)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed
