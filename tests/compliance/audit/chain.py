"""Helpers for audit tests: lift the append-only triggers to tamper, build long chains fast."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from django.db import connection
from django.utils import timezone

from compliance.audit import triggers
from compliance.audit.canonical import chain_hash, event_fields
from compliance.audit.models import GENESIS_HASH, AuditEvent, ChainHead
from tests.services import require


@contextmanager
def triggers_lifted() -> Iterator[None]:
    """Let the block UPDATE and DELETE audit rows, as an attacker with database access could."""
    triggers.remove(connection)
    try:
        yield
    finally:
        triggers.install(connection)


def only_on_postgresql() -> None:
    """Skip unless this run's database is PostgreSQL (the services profile, which CI runs too)."""
    if connection.vendor != "postgresql":
        pytest.skip(
            f"PostgreSQL only: this run uses {connection.vendor}; run with DATABASE_URL=postgres://… "
            "(the services profile, as CI does) to include it"
        )
    require("postgresql")


def append_chain(count: int, *, action: str = "test.bulk", actor_label: str = "bulk", at: datetime | None = None) -> None:
    """Append ``count`` correctly chained events in a few queries (record_event costs four each)."""
    head, _ = ChainHead.objects.get_or_create(pk=1, defaults={"sequence": 0, "hash": GENESIS_HASH})
    occurred_at = at or timezone.now()
    prev_hash, sequence, rows = head.hash, head.sequence, []
    for number in range(count):
        sequence += 1
        values = {
            "sequence": sequence,
            "occurred_at": occurred_at,
            "actor_type": AuditEvent.ActorType.SYSTEM,
            "actor_id": "",
            "actor_label": actor_label,
            "action": action,
            "target_type": "tests.thing",
            "target_id": str(number),
            "data": {"number": number},
        }
        digest = chain_hash(prev_hash, event_fields(**values))
        rows.append(AuditEvent(**values, prev_hash=prev_hash, hash=digest))
        prev_hash = digest
    AuditEvent.objects.bulk_create(rows, batch_size=500)
    ChainHead.objects.filter(pk=1).update(sequence=sequence, hash=prev_hash)
