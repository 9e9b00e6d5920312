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
# Walking hashes in Python holds the GIL; pausing between walks leaves the writers room.
PAUSE_BETWEEN_WALKS = 0.05


def write_concurrently(*, writers: int, events_each: int, verify_meanwhile: bool = False) -> list[str]:
    """Run ``writers`` threads that each append ``events_each`` events; return the errors they met.

    With ``verify_meanwhile`` one more thread walks the chain again and again while
    they write: every walk must find it intact, or its problem is an error too.
    """
    errors: list[str] = []
    start = threading.Barrier(writers + verify_meanwhile)
    writing_done = threading.Event()

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

    def verify() -> None:
        try:
            start.wait()
            while not writing_done.wait(PAUSE_BETWEEN_WALKS):
                report = verify_chain()
                if not report.intact:
                    errors.append(f"verifier: {report.problem}")
        except Exception as error:  # noqa: BLE001
            errors.append(f"verifier: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    verifier = threading.Thread(target=verify) if verify_meanwhile else None
    for thread in [*threads, *([verifier] if verifier else [])]:
        thread.start()
    for thread in threads:
        thread.join()
    writing_done.set()
    if verifier:
        verifier.join()
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
    """Entry point for ``manage.py shell -c``: write (verifying meanwhile), then print the outcome as JSON."""
    errors = write_concurrently(writers=writers, events_each=events_each, verify_meanwhile=True)
    print(json.dumps(outcome(errors)))
