"""Many threads appending to the audit chain at once, each on its own database connection.

Used in-process by the PostgreSQL test, and by the SQLite test through
``manage.py shell`` against a real file database in WAL mode (the test database
of an SQLite run lives in memory, where connections cannot wait on each other).
"""

import json
import threading

from django.db import connections
from django.db.models import Count

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.audit.services import record_event
from compliance.audit.verification import verify_chain

ACTION = "test.concurrent"


def write_concurrently(*, writers: int, events_each: int) -> list[str]:
    """Run ``writers`` threads that each append ``events_each`` events; return the errors they met."""
    errors: list[str] = []
    start = threading.Barrier(writers)

    def write(number: int) -> None:
        try:
            start.wait()
            for index in range(events_each):
                # record_event is atomic: each event is its own transaction.
                record_event(actor=SystemActor(f"writer-{number}"), action=ACTION, data={"index": index})
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on any
            errors.append(f"writer-{number}: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def outcome(errors: list[str]) -> dict:
    """Return what the chain looks like after the writers: the walk, per-writer counts, forks."""
    report = verify_chain()
    per_writer = dict(
        AuditEvent.objects.filter(action=ACTION).values_list("actor_label").annotate(count=Count("sequence"))
    )
    events = AuditEvent.objects.count()
    return {
        "errors": errors,
        "intact": report.intact,
        "problem": report.problem,
        "event_count": report.event_count,
        "events": events,
        # A fork shows as two events naming the same predecessor.
        "distinct_prev_hashes": AuditEvent.objects.values("prev_hash").distinct().count(),
        "per_writer": per_writer,
    }


def main(writers: int = 8, events_each: int = 500) -> None:
    """Entry point for ``manage.py shell -c``: write, then print the outcome as JSON."""
    print(json.dumps(outcome(write_concurrently(writers=writers, events_each=events_each))))
