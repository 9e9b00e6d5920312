"""The triggers that maintain the consent counts (``consent.models.counts``), and their rebuild from the records.

Installed by migration on PostgreSQL and SQLite. A trigger runs in the statement
that writes, so a count changes in the same transaction as the state or event
it counts, whichever code path wrote it: ``record_consent`` and
``advance_states``, the bulk import's COPY and INSERT … SELECT statements, the
lapse task, erasure completion (which withdraws through ``withdraw_consent``),
the scale-data generator, the admin.

On PostgreSQL the triggers are statement-level with transition tables: one
grouped upsert per statement whatever its number of rows, so a 10,000-row import
batch costs a few aggregates, not 10,000 updates of the same counter row. Rows
are upserted in key order, so two writers always lock counter rows in the same
order. SQLite has only row-level triggers, one upsert per row.

Decrements (a deleted state or subject) update existing rows only: on SQLite,
``flush`` deletes the counter tables and the counted tables in either order and
must not leave negative rows behind. On PostgreSQL ``flush`` truncates, which
fires no row or statement trigger.
"""

from collections.abc import Callable
from datetime import UTC

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.db.models.functions import TruncWeek

STATE = "consent_consentstate"
EVENT = "consent_consentevent"
SUBJECT = "consent_datasubject"
STATE_COUNT = "consent_consentstatecount"
NOTICE_COUNT = "consent_noticeeventcount"
WEEK_COUNT = "consent_consentweekcount"
SUBJECT_COUNT = "consent_subjectcount"

# --- PostgreSQL: statement-level triggers over transition tables -----------------------------------

_PG_UPSERT_STATES = f"""
    INSERT INTO {STATE_COUNT} AS c (purpose_id, status, subjects)
    SELECT purpose_id, status, sum(delta) FROM ({{rows}}) AS d
    GROUP BY purpose_id, status HAVING sum(delta) <> 0 ORDER BY purpose_id, status
    ON CONFLICT (purpose_id, status) DO UPDATE SET subjects = c.subjects + EXCLUDED.subjects;
"""

_PG_FUNCTIONS = {
    "custos_consent_state_inserted": _PG_UPSERT_STATES.format(rows="SELECT purpose_id, status, 1 AS delta FROM new_rows"),
    "custos_consent_state_updated": _PG_UPSERT_STATES.format(
        rows="SELECT purpose_id, status, 1 AS delta FROM new_rows UNION ALL SELECT purpose_id, status, -1 FROM old_rows"
    ),
    "custos_consent_state_deleted": f"""
    UPDATE {STATE_COUNT} AS c SET subjects = c.subjects - d.subjects
    FROM (SELECT purpose_id, status, count(*) AS subjects FROM old_rows GROUP BY purpose_id, status) AS d
    WHERE c.purpose_id = d.purpose_id AND c.status = d.status;
""",
    "custos_consent_event_inserted": f"""
    INSERT INTO {NOTICE_COUNT} AS c (notice_id, events)
    SELECT notice_id, count(*) FROM new_rows WHERE notice_id IS NOT NULL GROUP BY notice_id ORDER BY notice_id
    ON CONFLICT (notice_id) DO UPDATE SET events = c.events + EXCLUDED.events;
    INSERT INTO {WEEK_COUNT} AS c (purpose_id, week, status, events)
    SELECT purpose_id, date_trunc('week', occurred_at AT TIME ZONE 'UTC')::date AS week, status, count(*) FROM new_rows
    GROUP BY purpose_id, week, status ORDER BY purpose_id, week, status
    ON CONFLICT (purpose_id, week, status) DO UPDATE SET events = c.events + EXCLUDED.events;
""",
    "custos_consent_subject_inserted": f"""
    INSERT INTO {SUBJECT_COUNT} AS c (id, subjects) SELECT 1, count(*) FROM new_rows HAVING count(*) > 0
    ON CONFLICT (id) DO UPDATE SET subjects = c.subjects + EXCLUDED.subjects;
""",
    "custos_consent_subject_deleted": f"""
    UPDATE {SUBJECT_COUNT} SET subjects = subjects - (SELECT count(*) FROM old_rows) WHERE id = 1;
""",
}

# trigger name → (table, event, transition tables, function)
_PG_TRIGGERS = {
    "consent_state_count_insert": (STATE, "INSERT", "NEW TABLE AS new_rows", "custos_consent_state_inserted"),
    "consent_state_count_update": (STATE, "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "custos_consent_state_updated"),
    "consent_state_count_delete": (STATE, "DELETE", "OLD TABLE AS old_rows", "custos_consent_state_deleted"),
    "consent_event_count_insert": (EVENT, "INSERT", "NEW TABLE AS new_rows", "custos_consent_event_inserted"),
    "consent_subject_count_insert": (SUBJECT, "INSERT", "NEW TABLE AS new_rows", "custos_consent_subject_inserted"),
    "consent_subject_count_delete": (SUBJECT, "DELETE", "OLD TABLE AS old_rows", "custos_consent_subject_deleted"),
}


def _pg_install() -> list[str]:
    statements = [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}\n    RETURN NULL;\nEND\n$$;"
        for name, body in _PG_FUNCTIONS.items()
    ]
    statements += [
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
        for name, (table, event, tables, function) in _PG_TRIGGERS.items()
    ]
    return statements


def _pg_remove() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {name} ON {table};" for name, (table, *_) in _PG_TRIGGERS.items()]
    return statements + [f"DROP FUNCTION IF EXISTS {name}();" for name in _PG_FUNCTIONS]


# --- SQLite: row-level triggers --------------------------------------------------------------------


def _sqlite_add_state(row: str) -> str:
    return (
        f"INSERT INTO {STATE_COUNT} (purpose_id, status, subjects) VALUES ({row}.purpose_id, {row}.status, 1) "
        "ON CONFLICT (purpose_id, status) DO UPDATE SET subjects = subjects + 1;"
    )


def _sqlite_remove_state(row: str) -> str:
    return f"UPDATE {STATE_COUNT} SET subjects = subjects - 1 WHERE purpose_id = {row}.purpose_id AND status = {row}.status;"


# Monday of the event's week: six days back, then forward to the next Monday (the same day if it is one).
_SQLITE_WEEK = "date(NEW.occurred_at, '-6 days', 'weekday 1')"

_SQLITE_TRIGGERS = {
    "consent_state_count_insert": f"AFTER INSERT ON {STATE} BEGIN {_sqlite_add_state('NEW')} END",
    "consent_state_count_update": (
        f"AFTER UPDATE OF status, purpose_id ON {STATE} "
        "WHEN OLD.status IS NOT NEW.status OR OLD.purpose_id IS NOT NEW.purpose_id "
        f"BEGIN {_sqlite_remove_state('OLD')} {_sqlite_add_state('NEW')} END"
    ),
    "consent_state_count_delete": f"AFTER DELETE ON {STATE} BEGIN {_sqlite_remove_state('OLD')} END",
    "consent_event_count_insert": (
        f"AFTER INSERT ON {EVENT} BEGIN "
        f"INSERT INTO {NOTICE_COUNT} (notice_id, events) SELECT NEW.notice_id, 1 WHERE NEW.notice_id IS NOT NULL "
        "ON CONFLICT (notice_id) DO UPDATE SET events = events + 1; "
        f"INSERT INTO {WEEK_COUNT} (purpose_id, week, status, events) VALUES (NEW.purpose_id, {_SQLITE_WEEK}, NEW.status, 1) "
        "ON CONFLICT (purpose_id, week, status) DO UPDATE SET events = events + 1; END"
    ),
    "consent_subject_count_insert": (
        f"AFTER INSERT ON {SUBJECT} BEGIN INSERT INTO {SUBJECT_COUNT} (id, subjects) VALUES (1, 1) "
        "ON CONFLICT (id) DO UPDATE SET subjects = subjects + 1; END"
    ),
    "consent_subject_count_delete": f"AFTER DELETE ON {SUBJECT} BEGIN UPDATE {SUBJECT_COUNT} SET subjects = subjects - 1 WHERE id = 1; END",
}


def _statements(vendor: str, *, installing: bool) -> list[str]:
    if vendor == "postgresql":
        return _pg_install() if installing else _pg_remove()
    if vendor == "sqlite":
        if installing:
            return [f"CREATE TRIGGER {name} {body};" for name, body in _SQLITE_TRIGGERS.items()]
        return [f"DROP TRIGGER IF EXISTS {name};" for name in _SQLITE_TRIGGERS]
    raise ImproperlyConfigured(f"Custos has no consent-count triggers for the {vendor} database backend.")


def install(apps, schema_editor) -> None:
    """Create the counting triggers on the migrating database."""
    with schema_editor.connection.cursor() as cursor:
        for statement in _statements(schema_editor.connection.vendor, installing=True):
            cursor.execute(statement)


def remove(apps, schema_editor) -> None:
    """Drop the counting triggers (migration reversal)."""
    with schema_editor.connection.cursor() as cursor:
        for statement in _statements(schema_editor.connection.vendor, installing=False):
            cursor.execute(statement)


# --- Rebuild from the records ----------------------------------------------------------------------


def _real_model(app_label: str, name: str):
    from django.apps import apps

    return apps.get_model(app_label, name)


def rebuild_counters(get_model: Callable[[str, str], type] = _real_model) -> None:
    """Recompute every consent count from the records, in the caller's transaction (it should hold one).

    Four grouped queries over the states, events and subjects: what the
    backfilling migration runs (with its historical models as ``get_model``),
    and a repair should a count ever be doubted. Concurrent writers keep
    counting through the triggers; a rebuild racing them may miss their rows,
    so run it when the consent tables are quiet.
    """
    state = get_model("consent", "ConsentState")
    event = get_model("consent", "ConsentEvent")
    subject = get_model("consent", "DataSubject")
    state_count = get_model("consent", "ConsentStateCount")
    notice_count = get_model("consent", "NoticeEventCount")
    week_count = get_model("consent", "ConsentWeekCount")
    subject_count = get_model("consent", "SubjectCount")
    for model in (state_count, notice_count, week_count, subject_count):
        model.objects.all().delete()
    state_count.objects.bulk_create(
        state_count(purpose_id=row["purpose"], status=row["status"], subjects=row["total"])
        for row in state.objects.order_by().values("purpose", "status").annotate(total=Count("pk"))
    )
    notice_count.objects.bulk_create(
        notice_count(notice_id=row["notice"], events=row["total"])
        for row in event.objects.filter(notice__isnull=False).order_by().values("notice").annotate(total=Count("pk"))
    )
    weeks = (
        event.objects.order_by()
        .annotate(week=TruncWeek("occurred_at", tzinfo=UTC))
        .values("purpose", "week", "status")
        .annotate(total=Count("pk"))
    )
    week_count.objects.bulk_create(
        week_count(purpose_id=row["purpose"], week=row["week"].date(), status=row["status"], events=row["total"]) for row in weeks
    )
    subject_count.objects.create(id=1, subjects=subject.objects.count())
