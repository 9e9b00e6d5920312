"""Exports at scale: queries grow by pages, never by rows; memory stays flat while a large register streams."""

import tracemalloc

import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent, ChainHead
from compliance.reports.exports import paging
from datasets.models import Dataset
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def add_datasets(count: int) -> None:
    start = Dataset.objects.count()
    Dataset.objects.bulk_create(
        [Dataset(name=f"Dataset {number}", slug=f"bulk-{number}", purposes=["analytics"]) for number in range(start, start + count)],
        batch_size=1000,
    )


def add_events(count: int) -> None:
    # Rows for the export to read, inserted directly: the export reads the table, it does not walk the chain.
    start = (AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0) + 1
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                sequence=sequence,
                occurred_at=now,
                actor_type=AuditEvent.ActorType.SYSTEM,
                actor_label="bench",
                action="bench.filled",
                target_type="datasets.dataset",
                target_id=str(sequence),
                data={"n": sequence, "note": "=formula-like payload"},
                prev_hash="0" * 64,
                hash=f"{sequence:064x}",
            )
            for sequence in range(start, start + count)
        ],
        batch_size=5000,
    )
    # Move the head past them, so the export's own event follows on.
    ChainHead.objects.filter(pk=1).update(sequence=start + count - 1, hash=f"{start + count - 1:064x}")


def queries_for_export(client, register: str) -> tuple[int, int]:
    """Return (queries, rows) for downloading the whole register as CSV."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("reports:export", args=[register, "csv"]))
        lines = b"".join(response.streaming_content).count(b"\n")
    return len(captured), lines - 1


@pytest.mark.parametrize(("register", "fill"), [("datasets", add_datasets), ("audit-log", add_events)])
def test_an_export_costs_a_fixed_number_of_queries_plus_one_per_page(register, fill, monkeypatch, make_user):
    from compliance.accounts.roles import Role

    monkeypatch.setattr(paging, "BATCH_SIZE", 100)
    client = verified_client(make_user(Role.AUDITOR))
    # A first request pays one-off costs (the session's first reads); measure the next two.
    queries_for_export(client, register)
    fill(10)
    small, small_rows = queries_for_export(client, register)
    fill(990)
    large, large_rows = queries_for_export(client, register)
    assert large_rows - small_rows >= 990
    # Pages of 100: a register of n rows is read in n // 100 + 1 queries (the last page is short, or empty
    # when n is a multiple of 100); everything else is a fixed cost.
    pages = (large_rows // 100 + 1) - (small_rows // 100 + 1)
    assert pages == 10
    assert large - small == pages, (small, large)


def test_a_large_export_from_the_database_streams_in_flat_memory(make_user):
    from compliance.accounts.roles import Role

    rows_wanted = 60_000
    add_events(rows_wanted)
    client = verified_client(make_user(Role.AUDITOR))
    response = client.get(reverse("reports:export", args=["audit-log", "csv"]))
    assert response.status_code == 200 and response.streaming
    total = lines = 0
    tracemalloc.start()
    try:
        for piece in response.streaming_content:
            total += len(piece)
            lines += piece.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines > rows_wanted
    # The whole file is over 15 MB; a buffered export would hold at least that. The stream holds one page of rows.
    assert total > 15_000_000, total
    assert peak < total / 4, f"peak {peak} bytes for {total} bytes of output"
    print(f"audit-log export: {lines - 1} rows, {total / 1e6:.1f} MB streamed, peak traced memory {peak / 1e6:.1f} MB")
