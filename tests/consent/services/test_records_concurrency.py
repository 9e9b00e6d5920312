"""Recording at once from many connections (PostgreSQL): one event per event id, one state, the newest wins."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from consent.models import ConsentEvent, ConsentState
from consent.services import record_consent
from tests.compliance.audit.chain import only_on_postgresql

WRITERS = 8


def _at_once(work) -> tuple[list, list[str]]:
    """Run ``work(number)`` in WRITERS threads released together; return their results and errors."""
    start = threading.Barrier(WRITERS)
    results, errors = [None] * WRITERS, []

    def run(number: int) -> None:
        try:
            start.wait()
            results[number] = work(number)
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on any
            errors.append(f"writer-{number}: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_same_event_id_sent_at_once_is_recorded_once(dpo, subject, purpose):
    only_on_postgresql()

    events, errors = _at_once(
        lambda number: record_consent(
            actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="api", event_id="burst-1"
        )
    )

    assert errors == []
    assert ConsentEvent.objects.count() == 1
    assert {event.pk for event in events} == {ConsentEvent.objects.get().pk}
    assert sum(not event.replayed for event in events) == 1
    assert ConsentState.objects.get().last_event_id == ConsentEvent.objects.get().pk


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_events_racing_for_a_new_state_leave_the_newest_current(dpo, subject, purpose):
    only_on_postgresql()
    now = timezone.now()

    events, errors = _at_once(
        lambda number: record_consent(
            actor=dpo,
            subject=subject,
            purpose=purpose,
            status="granted" if number % 2 else "withdrawn",
            notice_version="v1" if number % 2 else None,
            collection_method="api",
            occurred_at=now - timedelta(minutes=WRITERS - number),
        )
    )

    assert errors == []
    assert ConsentEvent.objects.count() == WRITERS
    newest = max(events, key=lambda event: event.occurred_at)
    state = ConsentState.objects.get()
    assert (state.last_event_id, state.status) == (newest.pk, newest.status)
