"""The file connector on real CSV, JSON Lines and Parquet files under the allowed root."""

import json
import os
import stat

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.connectors import NotApplicable, PermanentError, SubjectKeys, TransientError, discover, erase, export, files
from datasets.connectors.base import keys_digest
from tests.datasets.connectors.conftest import make_location

C7 = SubjectKeys(external_id="c7")

# Quoted fields, a comma and a line break inside quotes, CRLF endings and a last line without one:
# untouched records must keep these bytes exactly.
CSV_LINES = [
    b"customer_id,email,name,note\r\n",
    b"c1,ann@example.org,Ann,\"likes \"\"tea\"\"\"\r\n",
    b"c7,seven@example.org,\"Seven, Jr.\",\"two\r\nlines\"\r\n",
    b"\"c2\",bob@example.org,Bob,\r\n",
    b"c7,seven@example.org,Seven,second order\r\n",
    b"c70,seventy@example.org,Seventy,\r\n",
    b"c7,,,\r\n",
    b"c3,carol@example.org,Carol,last",
]


def csv_location(stores, **values):
    path = stores / "customers.csv"
    if not path.exists():
        path.write_bytes(b"".join(CSV_LINES))
    return make_location(**{"kind": "filesystem", "path": str(path), "subject_key": "external_id", "subject_field": "customer_id", **values})


def test_csv_discover_counts_the_subjects_records(stores):
    assert discover(csv_location(stores), C7).records == 3
    assert discover(csv_location(stores), SubjectKeys(external_id="c9")).records == 0


def test_csv_delete_drops_the_subjects_records_and_keeps_every_other_byte(stores):
    location = csv_location(stores)

    erased = erase(location, C7, "delete")

    assert erased.records_affected == 3
    assert (erased.rows_before, erased.rows_after) == (7, 4)
    assert erased.fields == ["customer_id", "email", "name", "note"]
    assert erased.keys_sha256 == keys_digest(["2", "4", "6"])
    kept = [line for index, line in enumerate(CSV_LINES) if index not in (2, 4, 6)]
    assert (stores / "customers.csv").read_bytes() == b"".join(kept)


def test_csv_delete_twice_reports_zero_and_leaves_the_file_alone(stores):
    location = csv_location(stores)
    erase(location, C7, "delete")
    path = stores / "customers.csv"
    before = (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns)

    second = erase(location, C7, "delete")

    assert second.records_affected == 0
    assert second.keys_sha256 == keys_digest([])
    assert (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in stores.iterdir()) == [".customers.csv.custos-lock", "customers.csv"]


def test_csv_anonymise_blanks_the_fields_of_the_subjects_records_only(stores):
    location = csv_location(stores, erasure_mode="anonymise", anonymise_fields=["email", "name"])

    erased = erase(location, C7, "anonymise")

    # The third record of c7 has nothing left to blank.
    assert erased.records_affected == 2
    assert erased.fields == ["email", "name"]
    assert (erased.rows_before, erased.rows_after) == (7, 7)
    expected = list(CSV_LINES)
    expected[2] = b"c7,,,\"two\r\nlines\"\r\n"
    expected[4] = b"c7,,,second order\r\n"
    assert (stores / "customers.csv").read_bytes() == b"".join(expected)

    assert erase(location, C7, "anonymise").records_affected == 0
    assert (stores / "customers.csv").read_bytes() == b"".join(expected)


def test_the_rewritten_file_keeps_its_permissions(stores):
    location = csv_location(stores)
    path = stores / "customers.csv"
    path.chmod(0o640)

    erase(location, C7, "delete")

    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_csv_export_returns_the_subjects_records(stores):
    exported = export(csv_location(stores), C7)

    assert exported.fields == ["customer_id", "email", "name", "note"]
    assert exported.records == [
        {"customer_id": "c7", "email": "seven@example.org", "name": "Seven, Jr.", "note": "two\r\nlines"},
        {"customer_id": "c7", "email": "seven@example.org", "name": "Seven", "note": "second order"},
        {"customer_id": "c7", "email": "", "name": "", "note": ""},
    ]


def test_a_missing_csv_column_is_a_permanent_error_naming_it(stores):
    with pytest.raises(PermanentError) as raised:
        discover(csv_location(stores, subject_field="client_id"), C7)

    assert raised.value.message == (
        f"Column client_id does not exist in file {stores / 'customers.csv'} (its columns: customer_id, email, name, note)."
    )


def test_a_glob_or_quote_in_the_identifier_matches_only_itself(stores):
    location = csv_location(stores)

    for hostile in ("c*", "c7' OR '1'='1", "c7,", ""):
        keys = SubjectKeys(external_id=hostile)
        if not hostile:
            with pytest.raises(NotApplicable):
                erase(location, keys, "delete")
            continue
        assert erase(location, keys, "delete").records_affected == 0
    assert (stores / "customers.csv").read_bytes() == b"".join(CSV_LINES)


# --- JSON Lines -------------------------------------------------------------------------------------------

JSONL_LINES = [
    b'{"id": 7, "customer": {"email": "seven@example.org", "name": "Seven"}, "total": 10}\n',
    b'{"id":8,"customer":{"email":"eight@example.org","name":"Eight"},"total":20}\n',
    b"\n",
    b'{"id": "7", "customer": {"email": "seven@example.org", "name": "S\\u00e9ven"}, "total": 30}\n',
    b'{"id": 70, "customer": {"email": "seventy@example.org", "name": "Seventy"}, "total": 40}\n',
]


def jsonl_location(stores, **values):
    path = stores / "orders.jsonl"
    if not path.exists():
        path.write_bytes(b"".join(JSONL_LINES))
    return make_location(**{"kind": "filesystem", "path": str(path), "subject_key": "external_id", "subject_field": "id", **values})


def test_jsonl_delete_matches_numbers_and_strings_and_keeps_other_lines_verbatim(stores):
    erased = erase(jsonl_location(stores), SubjectKeys(external_id="7"), "delete")

    assert erased.records_affected == 2
    assert erased.keys_sha256 == keys_digest(["1", "3"])
    assert (erased.rows_before, erased.rows_after) == (4, 2)
    assert (stores / "orders.jsonl").read_bytes() == JSONL_LINES[1] + JSONL_LINES[2] + JSONL_LINES[4]
    assert erase(jsonl_location(stores), SubjectKeys(external_id="7"), "delete").records_affected == 0


def test_jsonl_anonymise_blanks_nested_fields_and_reports_zero_the_second_time(stores):
    location = jsonl_location(stores, subject_key="email", subject_field="customer.email", erasure_mode="anonymise", anonymise_fields=["customer.name", "customer.email"])
    keys = SubjectKeys(email="seven@example.org")

    erased = erase(location, keys, "anonymise")

    assert erased.records_affected == 2
    lines = (stores / "orders.jsonl").read_bytes().splitlines(keepends=True)
    assert json.loads(lines[0]) == {"id": 7, "customer": {"email": "", "name": ""}, "total": 10}
    assert json.loads(lines[3]) == {"id": "7", "customer": {"email": "", "name": ""}, "total": 30}
    assert [lines[1], lines[2], lines[4]] == [JSONL_LINES[1], JSONL_LINES[2], JSONL_LINES[4]]
    assert erase(location, keys, "anonymise").records_affected == 0
    assert discover(location, keys).records == 0


def test_jsonl_export_returns_the_subjects_objects(stores):
    exported = export(jsonl_location(stores), SubjectKeys(external_id="7"))

    assert [record["total"] for record in exported.records] == [10, 30]
    assert exported.fields == ["id", "customer", "total"]


def test_a_jsonl_line_that_is_not_json_is_a_permanent_error_with_its_number(stores):
    (stores / "orders.jsonl").write_bytes(JSONL_LINES[0] + b"{not json\n")

    with pytest.raises(PermanentError) as raised:
        discover(jsonl_location(stores), SubjectKeys(external_id="7"))

    assert raised.value.message == f"Line 2 of file {stores / 'orders.jsonl'} is not valid JSON: Expecting property name enclosed in double quotes."


def test_a_jsonl_field_no_record_has_is_a_permanent_error(stores):
    with pytest.raises(PermanentError) as raised:
        discover(jsonl_location(stores, subject_field="customer_id"), SubjectKeys(external_id="7"))

    assert raised.value.message == f"No record of file {stores / 'orders.jsonl'} has the field customer_id."


# --- Parquet ---------------------------------------------------------------------------------------------


def parquet_location(stores, **values):
    path = stores / "events.parquet"
    if not path.exists():
        table = pa.table(
            {
                "user_id": pa.array([7, 8, 7, 70, 9], pa.int64()),
                "email": ["seven@example.org", "eight@example.org", "seven@example.org", None, "nine@example.org"],
                "score": pa.array([1.5, 2.5, None, 4.5, 5.5]),
            }
        )
        pq.write_table(table, path, row_group_size=2)
    return make_location(**{"kind": "filesystem", "path": str(path), "subject_key": "external_id", "subject_field": "user_id", **values})


def test_parquet_delete_and_idempotency(stores):
    location = parquet_location(stores)
    keys = SubjectKeys(external_id="7")

    assert discover(location, keys).records == 2
    erased = erase(location, keys, "delete")

    assert erased.records_affected == 2
    assert erased.keys_sha256 == keys_digest(["1", "3"])
    assert (erased.rows_before, erased.rows_after) == (5, 3)
    assert pq.read_table(stores / "events.parquet").column("user_id").to_pylist() == [8, 70, 9]
    content = (stores / "events.parquet").read_bytes()
    assert erase(location, keys, "delete").records_affected == 0
    assert (stores / "events.parquet").read_bytes() == content


def test_parquet_anonymise_blanks_text_and_nulls_numbers(stores):
    location = parquet_location(stores, erasure_mode="anonymise", anonymise_fields=["email", "score"])
    keys = SubjectKeys(external_id="7")

    erased = erase(location, keys, "anonymise")

    assert erased.records_affected == 2
    table = pq.read_table(stores / "events.parquet")
    assert table.column("email").to_pylist() == ["", "eight@example.org", "", None, "nine@example.org"]
    assert table.column("score").to_pylist() == [None, 2.5, None, 4.5, 5.5]
    assert table.schema.field("user_id").type == pa.int64()
    assert erase(location, keys, "anonymise").records_affected == 0


def test_parquet_export_and_a_non_numeric_key_on_an_integer_column(stores):
    location = parquet_location(stores)

    assert export(location, SubjectKeys(external_id="7")).records == [
        {"user_id": 7, "email": "seven@example.org", "score": 1.5},
        {"user_id": 7, "email": "seven@example.org", "score": None},
    ]
    assert discover(location, SubjectKeys(external_id="7 or 1=1")).records == 0


# --- Paths, directories, locks -------------------------------------------------------------------------------


def test_a_missing_file_is_a_permanent_error(stores):
    location = csv_location(stores)
    (stores / "customers.csv").unlink()

    with pytest.raises(PermanentError) as raised:
        erase(location, C7, "delete")

    assert raised.value.message == f"File {stores / 'customers.csv'} does not exist."


def test_a_path_that_now_leads_outside_the_roots_is_refused(stores, tmp_path):
    location = csv_location(stores)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"".join(CSV_LINES))
    (stores / "customers.csv").unlink()
    (stores / "customers.csv").symlink_to(outside)

    with pytest.raises(PermanentError) as raised:
        erase(location, C7, "delete")

    assert raised.value.message.startswith(f"{outside} is outside the directories Custos may use ({stores}).")
    assert outside.read_bytes() == b"".join(CSV_LINES)


def test_a_directory_location_erases_in_each_of_its_files(stores, settings):
    folder = stores / "exports"
    (folder / "2025").mkdir(parents=True)
    (folder / "a.csv").write_bytes(b"customer_id,name\nc7,Seven\nc1,One\n")
    (folder / "2025" / "b.csv").write_bytes(b"customer_id,name\nc2,Two\nc7,Seven again\n")
    (folder / "notes.txt").write_bytes(b"c7 is mentioned here but this is not a CSV\n")
    location = make_location(kind="filesystem", path=str(folder), format="csv", subject_key="external_id", subject_field="customer_id")

    erased = erase(location, C7, "delete")

    assert erased.records_affected == 2
    assert erased.keys_sha256 == keys_digest(["a.csv#1", "2025/b.csv#2"])
    assert erased.detail["files"] == 2
    assert (folder / "a.csv").read_bytes() == b"customer_id,name\nc1,One\n"
    assert (folder / "2025" / "b.csv").read_bytes() == b"customer_id,name\nc2,Two\n"
    assert export(location, SubjectKeys(external_id="c1")).records == [{"_file": "a.csv", "customer_id": "c1", "name": "One"}]


def test_an_erasure_waits_for_another_on_the_same_file_then_gives_up_as_transient(stores, monkeypatch):
    location = csv_location(stores)
    monkeypatch.setattr(files, "LOCK_TIMEOUT_SECONDS", 0)

    with files.exclusive_lock(stores / "customers.csv"), pytest.raises(TransientError) as raised:
        erase(location, C7, "delete")

    assert raised.value.message == f"File {stores / 'customers.csv'} is being changed by another erasure; Custos will try again."
    assert (stores / "customers.csv").read_bytes() == b"".join(CSV_LINES)


def test_a_failed_rewrite_leaves_the_original_and_no_temporary_file(stores, monkeypatch):
    location = csv_location(stores)

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(TransientError) as raised:
        erase(location, C7, "delete")

    assert raised.value.message == f"File {stores / 'customers.csv'}: no space left on the device; Custos will try again."
    assert sorted(p.name for p in stores.iterdir()) == [".customers.csv.custos-lock", "customers.csv"]
    assert (stores / "customers.csv").read_bytes() == b"".join(CSV_LINES)


def test_anonymising_a_location_that_names_no_field_is_refused(stores):
    with pytest.raises(PermanentError) as raised:
        erase(csv_location(stores), C7, "anonymise")

    assert raised.value.message == "Location 'test store' names no fields to blank, so it cannot be anonymised."
