"""The maintained consent counts equal the real aggregates after every path that writes states, events or subjects.

The expected figures are counted here in Python from the rows themselves, not by
the grouped queries ``rebuild_counters`` runs, so a wrong trigger and a wrong
rebuild cannot agree by sharing a mistake. The import runs the vendor's own
path: executemany and ``advance_states`` on SQLite, COPY and the RECORD
statement on PostgreSQL (run this file on both profiles).
"""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from consent import counters, selectors
from consent.models import (
    ConsentEvent,
    ConsentState,
    ConsentStateCount,
    ConsentWeekCount,
    DataSubject,
    NoticeEventCount,
    SubjectCount,
)
from consent.services import lapse_expired_consents, publish_notice, record_consent, upsert_subject, withdraw_consent
from tests.consent.imports.conftest import csv_file, run_import  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _monday(moment):
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def expected_counts() -> dict:
    """Count states, events and subjects row by row."""
    states = Counter((state.purpose_id, state.status) for state in ConsentState.objects.all())
    events = list(ConsentEvent.objects.all())
    return {
        "states": dict(states),
        "notices": dict(Counter(event.notice_id for event in events if event.notice_id)),
        "weeks": dict(Counter((event.purpose_id, _monday(event.occurred_at), event.status) for event in events)),
        "subjects": len(list(DataSubject.objects.all())),
    }


def maintained_counts() -> dict:
    """Read the maintained counts (zero rows left behind by moved states are the same as no row)."""
    return {
        "states": {(row.purpose_id, row.status): row.subjects for row in ConsentStateCount.objects.all() if row.subjects},
        "notices": {row.notice_id: row.events for row in NoticeEventCount.objects.all() if row.events},
        "weeks": {(row.purpose_id, row.week, row.status): row.events for row in ConsentWeekCount.objects.all() if row.events},
        "subjects": selectors.subject_count(),
    }


def assert_counts_match():
    assert maintained_counts() == expected_counts()


def _grant(dpo, subject, purpose, **fields):
    fields.setdefault("collection_method", "web_form")
    return record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", **fields)


def test_a_grant_a_withdrawal_and_a_refusal_are_counted(dpo, purpose, make_subject):
    jane, joe = make_subject("jane"), make_subject("joe")
    assert_counts_match()

    _grant(dpo, jane, purpose)
    assert_counts_match()
    withdraw_consent(actor=dpo, subject=jane, purpose=purpose, reason="asked by email")
    assert_counts_match()
    record_consent(actor=dpo, subject=joe, purpose=purpose, status="refused", notice_version="v1", collection_method="app")

    assert_counts_match()
    assert maintained_counts()["states"] == {(purpose.pk, "withdrawn"): 1, (purpose.pk, "refused"): 1}
    assert selectors.subject_count() == 2


def test_a_late_event_is_counted_as_an_event_but_moves_no_state(dpo, purpose, subject):
    _grant(dpo, subject, purpose)
    record_consent(
        actor=dpo, subject=subject, purpose=purpose, status="withdrawn", collection_method="app", occurred_at=timezone.now() - timedelta(days=30)
    )

    assert_counts_match()
    assert maintained_counts()["states"] == {(purpose.pk, "granted"): 1}


def test_a_replayed_event_id_counts_once(dpo, purpose, subject):
    _grant(dpo, subject, purpose, event_id="evt-1")
    _grant(dpo, subject, purpose, event_id="evt-1")

    assert_counts_match()
    assert sum(maintained_counts()["notices"].values()) == 1


def test_lapsing_moves_grants_to_expired(dpo, purpose, subject, make_subject):
    now = timezone.now()
    _grant(dpo, subject, purpose, occurred_at=now - timedelta(days=3), expires_at=now - timedelta(days=1))
    _grant(dpo, make_subject("other"), purpose)

    assert lapse_expired_consents(now=now) == 1

    assert_counts_match()
    assert maintained_counts()["states"] == {(purpose.pk, "granted"): 1, (purpose.pk, "expired"): 1}


def test_the_bulk_import_path_is_counted(run_import, dpo, purpose, make_subject):
    publish_notice(actor=dpo, purpose=purpose, version="v2", effective_at=timezone.now() - timedelta(days=10), text="Offers, v2.")
    _grant(dpo, make_subject("known-1"), purpose, occurred_at=datetime(2026, 10, 1, tzinfo=UTC))
    rows = [
        # A subject already known, moved from granted to withdrawn by the file.
        "known-1,marketing,withdrawn,,web_form,2026-11-02T10:00:00Z,,",
        # New subjects, several events each, out of order, across weeks and notices.
        "new-1,marketing,granted,v1,web_form,2026-10-05T10:00:00Z,,",
        "new-1,marketing,withdrawn,,web_form,2026-10-20T10:00:00Z,,",
        "new-1,marketing,granted,v2,web_form,2026-10-12T10:00:00Z,,",
        "new-2,marketing,refused,v1,app,2026-11-01T09:00:00Z,,",
        "new-3,marketing,granted,v2,app,2026-11-03T09:00:00Z,,imp-3",
        "new-3,marketing,granted,v2,app,2026-11-03T09:00:00Z,,imp-3",
    ]

    job = run_import(csv_file(*rows))

    assert (job.rows_recorded, job.rows_failed) == (6, 0)
    assert_counts_match()
    counts = maintained_counts()
    assert counts["states"] == {(purpose.pk, "withdrawn"): 2, (purpose.pk, "refused"): 1, (purpose.pk, "granted"): 1}
    assert counts["subjects"] == 4


def test_a_second_import_moving_the_same_states_is_counted(run_import, purpose):
    run_import(csv_file("a,marketing,granted,v1,web_form,2026-10-05T10:00:00Z,,", "b,marketing,granted,v1,web_form,2026-10-05T10:00:00Z,,"))

    run_import(csv_file("a,marketing,withdrawn,,web_form,2026-10-06T10:00:00Z,,", "b,marketing,withdrawn,,web_form,2026-10-01T10:00:00Z,,"))

    assert_counts_match()
    assert maintained_counts()["states"] == {(purpose.pk, "withdrawn"): 1, (purpose.pk, "granted"): 1}


def test_subjects_created_and_deleted_are_counted(dpo):
    upsert_subject(actor=dpo, external_id="s-1")
    DataSubject.objects.bulk_create([DataSubject(external_id=f"bulk-{n}") for n in range(5)])
    DataSubject.objects.filter(external_id__in=["bulk-0", "bulk-1"]).delete()

    assert_counts_match()
    assert selectors.subject_count() == 4


def test_rebuilding_gives_the_same_counts(dpo, purpose, make_subject):
    for number in range(3):
        _grant(dpo, make_subject(f"p-{number}"), purpose)
    withdraw_consent(actor=dpo, subject=DataSubject.objects.get(external_id="p-0"), purpose=purpose, reason="by phone")
    before = maintained_counts()
    ConsentStateCount.objects.update(subjects=99)
    SubjectCount.objects.all().delete()

    counters.rebuild_counters()

    assert maintained_counts() == before
    assert_counts_match()


def test_a_subject_written_by_plain_sql_is_counted_too():
    # No service, no ORM: the database itself counts.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    pk = DataSubject._meta.pk.get_db_prep_value(uuid.uuid4(), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO consent_datasubject (id, external_id, jurisdiction_country, jurisdiction_region, created_at, updated_at)"
            " VALUES (%s, 'raw-sql', '', '', %s, %s)",
            [pk, now, now],
        )

    assert selectors.subject_count() == 1
    assert_counts_match()


def test_withdrawals_per_week_come_from_the_weekly_counts(dpo, purpose, make_subject, make_user, django_assert_num_queries):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    for number, days_ago in enumerate((0, 1, 2, 8, 30)):
        person = make_subject(f"w-{number}")
        _grant(dpo, person, purpose, occurred_at=now - timedelta(days=60))
        record_consent(
            actor=dpo, subject=person, purpose=purpose, status="withdrawn", collection_method="app", occurred_at=now - timedelta(days=days_ago)
        )

    assert dpo.has_perm(selectors.VIEW_PURPOSE)  # loads the user's permissions, which are cached on the user from here on
    with django_assert_num_queries(1):
        weeks = selectors.consent_events_per_week(user=dpo, weeks=6, now=now)

    assert [(week.week.isoformat(), week.events) for week in weeks] == [
        ("2026-10-19", 0), ("2026-10-26", 1), ("2026-11-02", 0), ("2026-11-09", 0), ("2026-11-16", 1), ("2026-11-23", 3),
    ]
    assert sum(week.events for week in selectors.consent_events_per_week(user=dpo, status="granted", weeks=12, now=now)) == 5
    assert all(week.events == 0 for week in selectors.consent_events_per_week(user=make_user(None), weeks=6, now=now))
