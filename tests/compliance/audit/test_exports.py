"""The kernel's streamed exports: cells, lines, keyset batches, the audited response, and flat memory."""

import csv
import datetime
import io
import json
import tracemalloc
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.accounts.roles import Role
from compliance.audit.exports import (
    BYTE_ORDER_MARK,
    FORMULA_STARTS,
    ExportError,
    batched,
    csv_cell,
    csv_lines,
    export_filename,
    json_value,
    jsonl_lines,
    neutralise_formula,
    stream_export,
    unquote_formula,
)
from compliance.audit.models import AuditEvent
from compliance.audit.services import record_event

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_start_is_quoted_in_csv_and_round_trips(start):
    text = f"{start}HYPERLINK(\"http://evil\")"
    assert start in FORMULA_STARTS
    assert csv_cell(text) == "'" + text
    assert unquote_formula(csv_cell(text)) == text
    [_, line] = list(csv.reader(io.StringIO("".join(csv_lines(["name"], [[text]])), newline="")))
    assert line == ["'" + text]


def test_harmless_text_and_an_already_quoted_cell_are_left_alone():
    assert neutralise_formula("Shop customers") == "Shop customers"
    assert neutralise_formula("'=1") == "'=1"
    assert unquote_formula("'plain") == "'plain"
    assert csv_cell("a=b") == "a=b"


def test_a_negative_number_is_text_quoted_like_any_other_cell_starting_with_minus():
    assert csv_cell(-3) == "'-3"


def test_cells_are_plain_text_with_iso_datetimes():
    moment = datetime.datetime(2026, 3, 1, 9, 30, 5, 123456, tzinfo=datetime.UTC)
    assert csv_cell(moment) == "2026-03-01T09:30:05.123456+00:00"
    assert csv_cell(datetime.date(2026, 3, 1)) == "2026-03-01"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true" and csv_cell(False) == "false"
    assert csv_cell(["gdpr", "ccpa"]) == "gdpr;ccpa"
    assert csv_cell({"b": 1, "a": "x"}) == '{"a": "x", "b": 1}'
    assert csv_cell(Decimal("1.50")) == "1.50"


def test_json_values_keep_their_types_and_write_datetimes_in_iso():
    moment = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert json_value({"at": moment, "n": 3, "ok": True, "tags": ("a", "b"), "id": ident, "d": Decimal("2.5")}) == {
        "at": "2026-03-01T09:30:00+00:00",
        "n": 3,
        "ok": True,
        "tags": ["a", "b"],
        "id": "12345678-1234-5678-1234-567812345678",
        "d": "2.5",
    }


def test_jsonl_writes_one_object_per_row_and_never_quotes_formulas():
    lines = list(jsonl_lines(["name", "count"], [{"name": "=1+1", "count": 2}, ["b", None]]))
    assert [json.loads(line) for line in lines] == [{"name": "=1+1", "count": 2}, {"name": "b", "count": None}]
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ExportError, match="A row has 1 values for 2 columns."):
        list(csv_lines(["a", "b"], [["only"]]))


def test_batched_reads_keyset_pages_so_queries_grow_by_pages_not_rows(make_user):
    for number in range(25):
        record_event(actor=None, action="test.filled", data={"n": number})
    events = AuditEvent.objects.filter(action="test.filled")
    with CaptureQueriesContext(connection) as small:
        assert [event.data["n"] for event in batched(events, key="sequence", batch_size=10)] == list(range(25))
    # 25 rows in pages of 10: three pages, three queries (the last page is short).
    assert len(small) == 3
    with CaptureQueriesContext(connection) as values:
        rows = list(batched(events.values("sequence", "action"), key="sequence", batch_size=5))
    assert len(rows) == 25 and rows[0]["action"] == "test.filled"
    # An exact multiple of the page needs one more query to see that nothing follows.
    assert len(values) == 6


def test_stream_export_records_one_event_and_sends_an_uncached_attachment(make_user):
    user = make_user(Role.AUDITOR)
    response = stream_export(
        actor=user,
        register="datasets",
        format="csv",
        columns=["name", "at"],
        rows=iter([{"name": "=cmd", "at": datetime.date(2026, 1, 2)}]),
        filters={"sensitivity": "high", "q": ""},
    )
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{export_filename("datasets", "csv")}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    text = body(response)
    assert text.startswith(BYTE_ORDER_MARK)
    assert list(csv.reader(io.StringIO(text.removeprefix(BYTE_ORDER_MARK)))) == [["name", "at"], ["'=cmd", "2026-01-02"]]
    event = AuditEvent.objects.get(action="export.downloaded")
    assert (event.actor_type, event.actor_id) == (AuditEvent.ActorType.USER, str(user.pk))
    assert event.data == {"register": "datasets", "format": "csv", "filters": {"sensitivity": "high"}}


def test_stream_export_jsonl_has_no_byte_order_mark(make_user):
    response = stream_export(actor=make_user(Role.AUDITOR), register="audit-log", format="jsonl", columns=["a"], rows=[[1]])
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert body(response) == '{"a":1}\n'
    assert response["Content-Disposition"].endswith('.jsonl"')


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"format": "xlsx"}, "Exports are CSV or JSON Lines (csv, jsonl), not 'xlsx'."),
        ({"register": "Data sets"}, "A register name is lower-case letters, digits, '-' and '_', not 'Data sets'."),
        ({"filename": 'a"b.csv'}, "A download's file name is letters, digits, '.', '-' and '_', not 'a\"b.csv'."),
        ({"columns": []}, "An export needs at least one column."),
    ],
)
def test_a_bad_export_is_refused_before_anything_is_recorded(make_user, arguments, message):
    options = {"register": "datasets", "format": "csv", "columns": ["a"], "rows": [], **arguments}
    with pytest.raises(ExportError) as refused:
        stream_export(actor=make_user(Role.AUDITOR), **options)
    assert str(refused.value) == message
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_a_large_export_streams_in_flat_memory(make_user):
    # 200,000 rows of about 100 characters: about 20 MB of CSV. A buffered
    # implementation (a list of rows, or the whole body joined) would hold at
    # least that much; the stream holds one 64 KB piece and one row.
    rows_wanted = 200_000
    filler = "x" * 60

    def rows():
        for number in range(rows_wanted):
            yield (number, f"=row {number}", filler, datetime.date(2026, 1, 1))

    response = stream_export(
        actor=make_user(Role.AUDITOR), register="synthetic", format="csv", columns=["n", "name", "filler", "day"], rows=rows()
    )
    total = 0
    lines = 0
    tracemalloc.start()
    try:
        for piece in response.streaming_content:
            total += len(piece)
            lines += piece.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == rows_wanted + 1
    assert total > 18_000_000
    assert peak < 2_000_000, f"peak {peak} bytes for {total} bytes of output"
