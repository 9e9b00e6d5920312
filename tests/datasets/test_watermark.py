"""Canary rows in shared copies, and finding them again in a leaked file."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from datasets.services import add_storage_location, create_share_link
from datasets.watermark import CANARY_ROWS, canary_rows, find_leak_sources, write_watermarked_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(steward, dataset, make_version):
    version = make_version(dataset, "v1")

    def build(organisation, location=None):
        return create_share_link(
            actor=steward,
            version=version,
            location=location,
            recipient_name="Recipient",
            recipient_organisation=organisation,
            purpose="study",
            expires_at=timezone.now() + timedelta(days=3),
        ).link

    return build


def watermarked(link) -> str:
    out = io.StringIO()
    write_watermarked_copy(link=link, destination=out)
    return out.getvalue()


def test_a_csv_copy_keeps_every_row_and_adds_canaries_that_look_like_the_rest(csv_location, issue, stores):
    link = issue("Lab A")
    rows = list(csv.DictReader(io.StringIO(watermarked(link))))
    original = list(csv.DictReader((stores / "customers.csv").open()))

    assert len(rows) == len(original) + CANARY_ROWS
    canaries = [row for row in rows if row not in original]
    assert len(canaries) == CANARY_ROWS
    for canary in canaries:
        assert "@" in canary["email"]
        assert canary["signed_up_on"][4] == "-" and canary["total_spent"].isdigit()
    assert [row for row in rows if row in original] == original


def test_each_recipient_gets_different_canaries_and_the_same_ones_every_time(csv_location, issue):
    first, second = issue("Lab A"), issue("Lab B")
    assert watermarked(first) == watermarked(first)
    assert canary_rows(link_id=first.pk, key_id=first.watermark_key_id, columns=["email"]) != canary_rows(
        link_id=second.pk, key_id=second.watermark_key_id, columns=["email"]
    )


def test_a_leaked_copy_is_traced_to_its_share_even_with_rows_shuffled_and_a_column_edited(csv_location, issue, tmp_path):
    issue("Lab A")
    leaker = issue("Lab B")
    rows = list(csv.reader(io.StringIO(watermarked(leaker))))
    header, body = rows[0], rows[1:]
    body.reverse()
    for row in body:
        row[header.index("name")] = "REDACTED"
    leaked = tmp_path / "found-on-a-forum.csv"
    with leaked.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *body])

    matches = find_leak_sources(leaked, [issue("Lab C"), leaker])
    assert [(match.link, match.canaries_found) for match in matches] == [(leaker, CANARY_ROWS)]


def test_the_original_file_matches_no_share(csv_location, issue, stores):
    link = issue("Lab A")
    assert find_leak_sources(stores / "customers.csv", [link]) == []


def test_json_lines_copies_keep_numbers_as_numbers_and_are_traced(dataset, dpo, stores, issue, tmp_path):
    path = stores / "events.jsonl"
    path.write_text("".join(json.dumps({"user_id": f"u{n}", "email": f"u{n}@example.org", "count": n}) + "\n" for n in range(10)))
    location = add_storage_location(actor=dpo, dataset=dataset, name="events", kind="filesystem", path=str(path), subject_key="external_id", subject_field="user_id")
    link = issue("Lab J", location=location)

    copy = watermarked(link)
    records = [json.loads(line) for line in copy.splitlines()]
    assert len(records) == 10 + CANARY_ROWS
    assert all(isinstance(record["count"], int) for record in records)
    leaked = tmp_path / "leak.jsonl"
    leaked.write_text(copy)
    assert [match.link for match in find_leak_sources(leaked, [link])] == [link]
