"""Malformed import files: each gets a clear report (the job's failure, or a row's line and reason), never a crash."""

import json

import pytest

from consent.imports.reading import MAX_LINE_BYTES, ImportFile, LineSource
from consent.models import ConsentEvent, ConsentImport
from tests.consent.imports.conftest import HEADER, csv_file, reasons

pytestmark = pytest.mark.django_db

GOOD = "s-1,marketing,refused,,paper,2025-01-02T10:00:00Z,,"
COLUMNS = (
    "The first line names the columns: subject, purpose, status, collection_method (required) and any of notice_version, "
    "occurred_at, expires_at, event_id, jurisdiction, reason, ip, ip_hash, user_agent, user_agent_hash, source_system."
)


def failed(job: ConsentImport, failure: str) -> None:
    assert job.status == ConsentImport.Status.FAILED
    assert job.failure == failure
    assert job.rows_recorded == 0


def test_an_empty_file_fails_saying_it_is_empty(run_import):
    failed(run_import(b" \n\r\n\t\n"), "The file is empty: it has no rows to import.")
    failed(run_import(b"\n\n", name="consents.jsonl"), "The file is empty: it has no rows to import.")


def test_a_header_alone_imports_nothing_and_completes(run_import):
    job = run_import(HEADER.encode())
    assert (job.status, job.rows_total) == (ConsentImport.Status.COMPLETED, 0)


def test_missing_columns_are_named(run_import):
    failed(
        run_import(b"subject,purpose,notice_version\ns-1,marketing,v1\n"),
        f"The header lacks the columns status, collection_method. {COLUMNS}",
    )


def test_unknown_and_repeated_columns_are_refused(run_import):
    failed(
        run_import(b"subject,purpose,status,collection_method,occured_at\n"),
        f"The header names columns Custos does not know: 'occured_at'. {COLUMNS}",
    )
    failed(
        run_import(b"subject,purpose,status,collection_method,Status\n"),
        "The header names the columns status more than once.",
    )


def test_a_utf16_file_is_refused_with_what_to_do(run_import):
    failed(
        run_import(HEADER.encode("utf-16")),
        "The file is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8) and upload it again.",
    )


def test_a_line_in_another_encoding_is_skipped_and_the_rest_recorded(run_import):
    content = csv_file(GOOD) + "Zoë,marketing,refused,,paper,,,\n".encode("latin-1") + csv_file("s-2,marketing,refused,,paper,,,", header="")
    job = run_import(content)
    assert job.status == ConsentImport.Status.COMPLETED
    assert reasons(job) == [(3, "Line 3 is not UTF-8 text (byte 0xEB at position 3): save the file as UTF-8.")]
    assert job.rows_recorded == 2


def test_a_header_in_another_encoding_fails_the_file(run_import):
    failed(
        run_import("subjéct,purpose\n".encode("latin-1")),
        "The header could not be read. Line 1 is not UTF-8 text (byte 0xE9 at position 5): save the file as UTF-8.",
    )


def test_a_10_mb_line_is_skipped_without_being_kept(run_import):
    huge = "s-big," + "x" * (10 * 1024 * 1024) + ",refused,,paper,,,"
    job = run_import(csv_file(GOOD, huge, "s-2,marketing,refused,,paper,,,"))
    assert job.status == ConsentImport.Status.COMPLETED
    assert reasons(job) == [(3, f"Line 3 is {len(huge) + 1:,} bytes long; a row may be at most {MAX_LINE_BYTES:,} bytes.")]
    assert job.rows_recorded == 2


def test_a_10_mb_first_line_fails_the_file(run_import):
    failed(
        run_import(b"subject" + b"," * (10 * 1024 * 1024) + b"\n" + csv_file(GOOD, header="")),
        f"The header could not be read. Line 1 is {10 * 1024 * 1024 + 8:,} bytes long; a row may be at most {MAX_LINE_BYTES:,} bytes.",
    )


def test_a_10_mb_json_line_is_skipped(run_import):
    good = {"subject": "s-1", "purpose": "marketing", "status": "refused", "collection_method": "app"}
    huge = json.dumps({**good, "reason": "x" * (10 * 1024 * 1024)})
    job = run_import(f"{huge}\n{json.dumps(good)}\n".encode(), name="consents.jsonl")
    assert reasons(job) == [(1, f"Line 1 is {len(huge) + 1:,} bytes long; a row may be at most {MAX_LINE_BYTES:,} bytes.")]
    assert job.rows_recorded == 1


def test_csv_quoting_blank_lines_and_a_byte_order_mark_are_read_as_csv(run_import):
    content = (
        "\ufeff" + HEADER + "\n"
        '"s-1","marketing","refused","","paper","2025-01-02T10:00:00Z","",""\n'
        ",,,,,,,\n"
        "s-2,marketing,refused,,paper,,,\n"
    ).encode("utf-8")
    job = run_import(content)
    assert (job.rows_recorded, job.rows_failed) == (2, 0)


def test_a_quoted_value_may_span_lines_and_keeps_its_first_line_number(run_import):
    header = "subject,purpose,status,collection_method,reason\n"
    job = run_import(
        csv_file('s-1,marketing,refused,paper,"asked by phone,\nthen by letter"', "s-2,marketing,nonsense,paper,", header=header)
    )
    assert ConsentEvent.objects.get().reason == "asked by phone,\nthen by letter"
    assert reasons(job) == [(4, "status: Unknown status 'nonsense'. Use one of: granted, withdrawn, refused.")]


def test_a_nul_byte_makes_its_row_fail(run_import):
    job = run_import(csv_file(GOOD) + b"s-2,market\x00ing,refused,,paper,,,\n")
    assert reasons(job) == [(3, "Line 3 contains a NUL character (position 11): is it a text file?")]
    assert job.rows_recorded == 1


def test_json_lines_take_the_api_fields_and_report_what_is_not_json(run_import):
    lines = [
        json.dumps(
            {
                "subject": "s-1",
                "purpose": "marketing",
                "status": "granted",
                "notice_version": "v1",
                "collection_method": "app",
                "occurred_at": "2025-01-02T10:00:00Z",
                "event_id": 17,
                "evidence": {"ip": "2001:db8::1", "source_system": "shop"},
            }
        ),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"subject": "s-2", "purpose": "marketing", "status": "refused", "collection_method": "app", "colour": "red"}),
        json.dumps({"subject": ["s-3"], "purpose": "marketing", "status": "refused", "collection_method": "app"}),
        json.dumps({"subject": "s-4", "purpose": "marketing", "status": "refused", "collection_method": "app", "evidence": {"mac": "x"}}),
    ]
    job = run_import("\n".join(lines).encode(), name="consents.jsonl")
    assert reasons(job) == [
        (3, "Line 3 is not valid JSON: Expecting property name enclosed in double quotes at column 2."),
        (4, "Line 4 is not a JSON object: each line holds one consent as {...}."),
        (
            5,
            "Line 5 has keys Custos does not know: colour. The keys are: subject, purpose, status, collection_method, "
            "notice_version, occurred_at, expires_at, event_id, jurisdiction, reason, evidence.",
        ),
        (6, "subject: Give subject as text."),
        (7, "evidence: Unknown evidence mac; use ip, ip_hash, user_agent, user_agent_hash, source_system."),
    ]
    event = ConsentEvent.objects.get()
    assert (event.event_id, event.evidence_ip, event.source_system) == ("17", "2001:db8::/48", "shop")


def test_the_reader_resumes_at_a_committed_offset(tmp_path):
    path = tmp_path / "consents.csv"
    path.write_bytes(csv_file("a,p,granted,v1,app,,,", "b,p,granted,v1,app,,,", "c,p,granted,v1,app,,,"))
    with ImportFile(path, "csv") as file:
        rows = file.rows()
        next(rows)
        offset, line = file.offset, file.line
    with ImportFile(path, "csv") as file:
        file.resume_at(offset=offset, line=line)
        assert [(row.line, row.fields["subject"]) for row in file.rows()] == [(3, "b"), (4, "c")]


def test_a_line_source_counts_lines_and_bytes(tmp_path):
    path = tmp_path / "lines"
    path.write_bytes(b"one\r\ntwo\n\xff\n")
    with path.open("rb") as stream:
        source = LineSource(stream)
        assert list(source) == ["one\r\n", "two\n", "\n"]
    assert (source.line, source.offset) == (3, 11)
    assert source.problem_between(3, 3) == "Line 3 is not UTF-8 text (byte 0xFF at position 1): save the file as UTF-8."
    assert source.problem_between(3, 3) == ""


def test_a_quote_left_open_over_many_lines_fails_its_row_and_reading_goes_on(run_import):
    long = "x" * 60_000
    job = run_import(csv_file(GOOD, f's-2,"{long}', long, long, long, "s-3,marketing,refused,,paper,,,"))
    assert reasons(job)[0] == (3, "Line 3 could not be read as CSV: field larger than field limit (131072).")
    assert job.status == ConsentImport.Status.COMPLETED
