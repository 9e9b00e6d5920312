"""Reading catalog files (CSV, YAML) into rows with line numbers, and writing the CSV export."""

import csv
import io

import pytest

from datasets.catalog_sync import (
    COLUMN_TO_FIELD,
    COLUMNS,
    MAX_FILE_BYTES,
    CatalogFileError,
    catalog_format,
    decode_catalog,
    export_lines,
    export_row,
    read_catalog,
)
from datasets.models import Dataset
from datasets.services import EDITABLE_FIELDS


def read_csv(text: str):
    return read_catalog(text, format="csv")


def read_yaml(text: str):
    return read_catalog(text, format="yaml")


def file_error(call) -> str:
    with pytest.raises(CatalogFileError) as caught:
        call()
    return caught.value.message


def test_csv_cells_become_typed_values():
    [row] = read_csv(
        "name,slug,data_categories,retention_days,encryption_in_transit,epsilon,k,owner,regulations_override\n"
        "Shop customers,shop,contact; identifiers;,365,yes,1.5,,steward,FALSE\n"
    )
    assert row.line == 2 and not row.errors
    assert row.values == {
        "name": "Shop customers",
        "slug": "shop",
        "data_categories": ["contact", "identifiers"],
        "retention_days": 365,
        "encryption_in_transit": True,
        "anonymisation_epsilon": 1.5,
        "anonymisation_k": None,
        "owner": "steward",
        "regulations_override": False,
    }


def test_empty_choice_cells_are_left_out_so_defaults_or_current_values_stay():
    [row] = read_csv("name,sensitivity,retention_action,anonymisation_technique\nShop,,,\n")
    assert row.values == {"name": "Shop"}


def test_line_numbers_count_blank_lines_and_quoted_line_breaks():
    rows = read_csv('name,description\nFirst,"two\nlines"\n\nSecond,plain\n')
    assert [(row.line, row.name) for row in rows] == [(2, "First"), (5, "Second")]
    assert rows[0].values["description"] == "two\nlines"


def test_values_that_cannot_be_read_are_reported_per_column():
    [row] = read_csv("name,retention_days,k,epsilon,encryption_in_transit\nShop,a year,2.5,lots,maybe\n")
    assert row.errors == {
        "retention_days": ["Write a whole number, not 'a year'."],
        "k": ["Write a whole number, not '2.5'."],
        "epsilon": ["Write a number, not 'lots'."],
        "encryption_in_transit": ["Write true or false, not 'maybe'."],
    }
    assert read_csv("name,epsilon\nShop,nan\n")[0].errors == {"epsilon": ["Write a finite number."]}


def test_a_row_with_more_cells_than_columns_is_reported():
    [row] = read_csv("name,slug\nShop,shop,extra\n")
    assert row.errors == {"row": ["This row has 3 cells but the first line names 2 columns."]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty: its first line must name the columns, such as name,slug,owner."),
        ("name,colour\nShop,red\n", "The first line must name the columns. Unknown column(s): colour. The columns are: " + ", ".join(COLUMNS) + "."),
        ("name,name\nA,B\n", "These columns appear more than once: name."),
        ("owner\nsteward\n", "The file needs a name column (for new datasets) or a slug column (to update them)."),
        ("name,slug\n", "The file lists no datasets."),
        ("name\n\n\n", "The file lists no datasets."),
        ("name\nA\n" + "x" * 200_000 + "\n", "Line 3 is not valid CSV: field larger than field limit (131072)."),
    ],
)
def test_files_that_are_not_a_csv_catalog_are_explained(text, message):
    assert file_error(lambda: read_csv(text)) == message


def test_yaml_lists_with_line_numbers_and_native_types():
    rows = read_yaml(
        "# catalog\n"
        "- name: Shop customers\n"
        "  data_categories: [contact, identifiers]\n"
        "  retention_days: 365\n"
        "  encryption_in_transit: true\n"
        "- name: Newsletter\n"
        "  lawful_bases: consent;legitimate_interests\n"
        "  delta: 1.0e-5\n"
    )
    assert [row.line for row in rows] == [2, 6]
    assert rows[0].values == {
        "name": "Shop customers",
        "data_categories": ["contact", "identifiers"],
        "retention_days": 365,
        "encryption_in_transit": True,
    }
    assert rows[1].values == {"name": "Newsletter", "lawful_bases": ["consent", "legitimate_interests"], "anonymisation_delta": 1e-5}


def test_yaml_may_wrap_the_list_in_a_datasets_key():
    rows = read_yaml("version: 1\ndatasets:\n  - name: A\n  - name: B\n")
    assert [(row.line, row.name) for row in rows] == [(3, "A"), (4, "B")]


def test_yaml_rows_report_unknown_keys_and_wrong_shapes():
    rows = read_yaml("- name: A\n  colour: red\n  retention_days: [1, 2]\n- just a string\n")
    assert rows[0].errors == {
        "colour": [f"Not a catalog key. The keys are: {', '.join(COLUMNS)}."],
        "retention_days": ["Give a single value here, not a list or mapping."],
    }
    assert rows[1].errors == {"row": ["Each dataset is a mapping of keys such as name: and slug:, not a single value."]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- name: A\n  slug: [unclosed\n", "The file is not valid YAML at line 3: expected ',' or ']', but got '<stream end>'."),
        ("just text\n", "A YAML catalog is a list of datasets, or a mapping whose datasets: key holds that list."),
        ("datasets: none\n", "A YAML catalog is a list of datasets, or a mapping whose datasets: key holds that list."),
        ("", "The file is empty."),
        ("[]\n", "The file lists no datasets."),
    ],
)
def test_files_that_are_not_a_yaml_catalog_are_explained(text, message):
    assert file_error(lambda: read_yaml(text)) == message


def test_only_csv_and_yaml_files_are_taken():
    assert (catalog_format("Catalog.CSV"), catalog_format("c.yaml"), catalog_format("c.yml")) == ("csv", "yaml", "yaml")
    assert file_error(lambda: catalog_format("catalog.xlsx")) == "Upload a .csv, .yaml or .yml file; 'catalog.xlsx' is none of them."


def test_text_must_be_utf8_and_not_binary_and_at_most_2_mb():
    assert decode_catalog("\ufeffname\nCafé\n".encode()) == "name\nCafé\n"
    assert file_error(lambda: decode_catalog("name\nCafé\n".encode("latin-1"))) == (
        'The file is not UTF-8 text (byte 9 cannot be read). Save it as UTF-8 — in a spreadsheet, choose "CSV UTF-8" — and upload it again.'
    )
    assert file_error(lambda: decode_catalog(b"name\x00\x01")) == "The file holds binary data, not text. Upload the catalog as CSV or YAML."
    assert file_error(lambda: decode_catalog(b"x" * (MAX_FILE_BYTES + 1))) == (
        "The file is 2.0 MB; the limit is 2 MB. Split the catalog into smaller files."
    )


def test_the_export_writes_every_column_and_quotes_formulas():
    dataset = Dataset(
        name="=HYPERLINK(\"http://evil\")",
        slug="shop",
        data_categories=["contact", "health"],
        regulations=["gdpr"],
        retention_days=30,
        encryption_in_transit=True,
        anonymisation_epsilon=1e-05,
    )
    row = dict(zip(COLUMNS, export_row(dataset)))
    assert row["name"] == "'=HYPERLINK(\"http://evil\")"
    assert (row["owner"], row["data_categories"], row["retention_days"], row["encryption_in_transit"], row["epsilon"]) == (
        "", "contact;health", "30", "true", "1e-05"
    )
    # The quote comes off again on import, so the name round-trips.
    text = "".join(export_lines([dataset]))
    [read] = read_csv(text)
    assert read.values["name"] == dataset.name and read.values["anonymisation_epsilon"] == 1e-05
    assert list(csv.reader(io.StringIO(text)))[0] == list(COLUMNS)


def test_the_columns_are_every_editable_field_and_the_slug():
    assert sorted(COLUMN_TO_FIELD.get(column, column) for column in COLUMNS) == sorted([*EDITABLE_FIELDS, "slug"])
