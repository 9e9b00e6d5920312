"""Writing one batch of checked rows: subjects created as needed, events appended, states moved.

Called inside the batch's transaction. A row whose event id was recorded
before is settled as ``record_consent`` settles it: the same consent again is
"already recorded" (nothing written), another consent under that id is an
error. On PostgreSQL the rows are copied (psycopg 3 COPY) into a temporary
staging table and recorded by INSERT … SELECT statements that create the
missing subjects, then append the events joined to their subjects (skipping
recorded event ids, settled afterwards) and move the current states by
``advance_states``' rule; elsewhere recorded event ids are settled first,
the rows written with executemany, and ``advance_states`` moves the states.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from django.db import connection

from consent.imports.rows import ImportRow
from consent.models import ConsentEvent, DataSubject
from consent.services import advance_states

# Under SQLite's and Oracle's limits on the parameters of one statement.
LOOKUP_CHUNK = 900
EVENT_ID_TAKEN = (
    "event_id: The event id {event_id!r} was already used for another consent (recorded {recorded_at:%Y-%m-%d %H:%M} UTC); "
    "give each new event its own id."
)
NOT_RECORDED = "The row could not be recorded while other writers changed the same records; import it again."
EVENT_ID_REPEATED = (
    "event_id: The event id {event_id!r} is also on line {line} of this file, for another consent; give each new event its own id."
)


@dataclass
class BatchOutcome:
    """What a batch wrote: events recorded, rows already recorded, subjects created, and the rows refused (line, reason)."""

    recorded: int = 0
    already_recorded: int = 0
    subjects_created: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def _chunks(values: Iterable, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    values = iter(values)
    while chunk := list(islice(values, size)):
        yield chunk


def _same_consent(row: ImportRow, subject: str, purpose_id: int, status: str) -> bool:
    return (row.subject, row.purpose_id, row.status) == (subject, purpose_id, status)


def _repeated_in_batch(rows: list[ImportRow], outcome: BatchOutcome) -> list[ImportRow]:
    """Return the rows without an event id repeated from an earlier row of the batch (a replay, or an error)."""
    first_by_id: dict[str, ImportRow] = {}
    kept = []
    for row in rows:
        first = first_by_id.get(row.event_id) if row.event_id else None
        if first is None:
            if row.event_id:
                first_by_id[row.event_id] = row
            kept.append(row)
        elif _same_consent(row, first.subject, first.purpose_id, first.status):
            outcome.already_recorded += 1
        else:
            outcome.failed.append((row.line, EVENT_ID_REPEATED.format(event_id=row.event_id, line=first.line)))
    return kept


def _settle_recorded(rows: list[ImportRow], outcome: BatchOutcome) -> list[ImportRow]:
    """Return the rows whose event id is not recorded yet; count the others as replays or refuse them."""
    recorded = {}
    for chunk in _chunks(row.event_id for row in rows if row.event_id):
        for event_id, subject, purpose_id, status, recorded_at in ConsentEvent.objects.filter(event_id__in=chunk).values_list(
            "event_id", "subject__external_id", "purpose_id", "status", "recorded_at"
        ):
            recorded[event_id] = (subject, purpose_id, status, recorded_at)
    if not recorded:
        return rows
    to_write = []
    for row in rows:
        earlier = recorded.get(row.event_id) if row.event_id else None
        if earlier is None:
            to_write.append(row)
        elif _same_consent(row, *earlier[:3]):
            outcome.already_recorded += 1
        else:
            outcome.failed.append((row.line, EVENT_ID_TAKEN.format(event_id=row.event_id, recorded_at=earlier[3])))
    return to_write


def write_batch(rows: list[ImportRow], *, recorded_by: str, now: datetime) -> BatchOutcome:
    """Record ``rows`` (checked, in file order) in the caller's transaction and say what happened."""
    outcome = BatchOutcome()
    rows = _repeated_in_batch(rows, outcome)
    if rows:
        writer = _write_with_copy if connection.vendor == "postgresql" else _write_with_orm
        writer(rows, recorded_by=recorded_by, now=now, outcome=outcome)
    outcome.failed.sort()
    return outcome


# --- Any database: executemany batches ---------------------------------------------------------


def insert_many(model, objects: list) -> None:
    """INSERT ``objects`` with one executemany, each value prepared as the ORM would save it."""
    if not objects:
        return
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    values = [[field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields] for instance in objects]
    with connection.cursor() as cursor:
        cursor.executemany(statement, values)


def _write_with_orm(rows: list[ImportRow], *, recorded_by: str, now: datetime, outcome: BatchOutcome) -> None:
    rows = _settle_recorded(rows, outcome)
    known = {}
    for chunk in _chunks({row.subject for row in rows}):
        for subject in DataSubject.objects.filter(external_id__in=chunk).only("pk", "external_id", "jurisdiction_country", "jurisdiction_region"):
            known[subject.external_id] = subject
    created = []
    for row in rows:
        if row.subject not in known:
            subject = DataSubject(external_id=row.subject, jurisdiction_country=row.subject_country, jurisdiction_region=row.subject_region)
            known[row.subject] = subject
            created.append(subject)
    insert_many(DataSubject, created)
    events = [
        ConsentEvent(
            id=row.event_uuid,
            subject_id=known[row.subject].pk,
            purpose_id=row.purpose_id,
            status=row.status,
            occurred_at=row.occurred_at,
            recorded_at=now,
            notice_id=row.notice_id,
            collection_method=row.collection_method,
            jurisdiction=known[row.subject].jurisdiction_code if row.jurisdiction is None else row.jurisdiction,
            expires_at=row.expires_at,
            event_id=row.event_id,
            recorded_by=recorded_by,
            reason=row.reason,
            **row.evidence,
        )
        for row in rows
    ]
    insert_many(ConsentEvent, events)
    advance_states(events=events)
    outcome.recorded += len(events)
    outcome.subjects_created += len(created)


# --- PostgreSQL: COPY into staging, then INSERT … SELECT -----------------------------------------

STAGING = "consent_import_staging"
STAGING_COLUMNS = (
    "line bigint NOT NULL",
    "event_uuid uuid NOT NULL",
    "subject text NOT NULL",
    "subject_country text NOT NULL",
    "subject_region text NOT NULL",
    "purpose_id bigint NOT NULL",
    "status text NOT NULL",
    "notice_id bigint",
    "collection_method text NOT NULL",
    "occurred_at timestamptz NOT NULL",
    "expires_at timestamptz",
    "event_id text",
    "jurisdiction text",
    "reason text NOT NULL",
    "evidence_ip text NOT NULL",
    "evidence_ip_hash text NOT NULL",
    "evidence_user_agent_hash text NOT NULL",
    "source_system text NOT NULL",
)
# Temporary: each connection has its own, so concurrent imports never see each other's rows.
CREATE_STAGING = f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} ({', '.join(STAGING_COLUMNS)}) ON COMMIT DELETE ROWS"
COPY_STAGING = f"COPY {STAGING} ({', '.join(column.split()[0] for column in STAGING_COLUMNS)}) FROM STDIN"

# Only for rows whose event id is new: a row refused for reusing one creates no subject.
CREATE_SUBJECTS = f"""
INSERT INTO consent_datasubject
    (id, external_id, email, email_index, phone, phone_index, name, jurisdiction_country, jurisdiction_region, created_at, updated_at)
SELECT gen_random_uuid(), s.subject, NULL, NULL, NULL, NULL, NULL, s.subject_country, s.subject_region, %(now)s, %(now)s
FROM (
    SELECT DISTINCT ON (subject) subject, subject_country, subject_region FROM {STAGING} AS staged
    WHERE NOT EXISTS (SELECT 1 FROM consent_datasubject AS d WHERE d.external_id = staged.subject)
      AND NOT EXISTS (SELECT 1 FROM consent_consentevent AS e WHERE e.event_id = staged.event_id)
    ORDER BY subject, line
) AS s
ON CONFLICT (external_id) DO NOTHING
"""

# One statement: append the events joined to their subjects, then move the states to them.
#
# A row whose event id is recorded already (before, or by another writer meanwhile) is skipped
# and settled after: a replay, or an error. The states follow advance_states' rule: per subject
# and purpose the newest event of the batch (the later line on a tie) moves an existing state only
# if it is at least as new; an event naming no notice (a withdrawal) keeps the notice of the newest
# event that named one, in this batch or before it.
RECORD = f"""
WITH inserted AS (
    INSERT INTO consent_consentevent
        (id, subject_id, purpose_id, status, occurred_at, recorded_at, notice_id, collection_method, jurisdiction,
         evidence_ip, evidence_ip_hash, evidence_user_agent_hash, source_system, expires_at, event_id, recorded_by, reason)
    SELECT s.event_uuid, d.id, s.purpose_id, s.status, s.occurred_at, %(now)s, s.notice_id, s.collection_method,
           COALESCE(s.jurisdiction, CASE WHEN d.jurisdiction_region <> '' THEN d.jurisdiction_country || '-' || d.jurisdiction_region
                                         ELSE d.jurisdiction_country END),
           s.evidence_ip, s.evidence_ip_hash, s.evidence_user_agent_hash, s.source_system, s.expires_at, s.event_id,
           %(recorded_by)s, s.reason
    FROM {STAGING} AS s JOIN consent_datasubject AS d ON d.external_id = s.subject
    ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING
    RETURNING id, subject_id, purpose_id, status, occurred_at, expires_at, notice_id
), batch AS (
    SELECT i.*, s.line FROM inserted AS i JOIN {STAGING} AS s ON s.event_uuid = i.id
), ranked AS (
    -- One pass of window functions, no join between the batch's own rows: a join of two CTE scans is planned
    -- on estimates the planner cannot know (it guessed 1,000 rows for 10,000 and chose a nested loop).
    SELECT b.*,
        row_number() OVER newest_first AS recency,
        first_value(notice_id) OVER noticed_first AS carrier_notice_id,
        first_value(occurred_at) OVER noticed_first AS carrier_occurred_at
    FROM batch AS b
    WINDOW newest_first AS (PARTITION BY subject_id, purpose_id ORDER BY occurred_at DESC, line DESC),
        noticed_first AS (PARTITION BY subject_id, purpose_id ORDER BY notice_id IS NULL, occurred_at DESC, line DESC
                          ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
), newest AS (
    -- Per subject and purpose the newest event, and the newest event naming a notice (its carrier; none if no event did).
    SELECT id, subject_id, purpose_id, status, occurred_at, expires_at, notice_id,
        CASE WHEN carrier_notice_id IS NOT NULL THEN carrier_occurred_at END AS carrier_occurred_at, carrier_notice_id
    FROM ranked WHERE recency = 1
), moved AS (
    -- Only the states an event is at least as new as are touched: the others are neither locked nor written.
    UPDATE consent_consentstate AS state SET
        status = n.status,
        occurred_at = n.occurred_at,
        expires_at = n.expires_at,
        notice_id = COALESCE(n.notice_id, CASE WHEN n.carrier_occurred_at >= state.occurred_at THEN n.carrier_notice_id END, state.notice_id),
        last_event_id = n.id,
        updated_at = %(now)s
    FROM newest AS n
    WHERE state.subject_id = n.subject_id AND state.purpose_id = n.purpose_id AND n.occurred_at >= state.occurred_at
    RETURNING 1
), created AS (
    INSERT INTO consent_consentstate AS state
        (subject_id, purpose_id, status, occurred_at, expires_at, notice_id, last_event_id, updated_at)
    SELECT n.subject_id, n.purpose_id, n.status, n.occurred_at, n.expires_at, COALESCE(n.notice_id, n.carrier_notice_id), n.id, %(now)s
    FROM newest AS n
    WHERE NOT EXISTS (
        SELECT 1 FROM consent_consentstate AS existing WHERE existing.subject_id = n.subject_id AND existing.purpose_id = n.purpose_id
    )
    -- Another writer created the state since this statement's snapshot: move theirs by the same rule.
    ON CONFLICT (subject_id, purpose_id) DO UPDATE SET
        status = EXCLUDED.status,
        occurred_at = EXCLUDED.occurred_at,
        expires_at = EXCLUDED.expires_at,
        notice_id = COALESCE(EXCLUDED.notice_id, state.notice_id),
        last_event_id = EXCLUDED.last_event_id,
        updated_at = EXCLUDED.updated_at
    WHERE EXCLUDED.occurred_at >= state.occurred_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM moved) + (SELECT count(*) FROM created)
"""

SKIPPED_BY_CONFLICT = f"""
SELECT s.line FROM {STAGING} AS s
WHERE NOT EXISTS (SELECT 1 FROM consent_consentevent AS e WHERE e.id = s.event_uuid)
"""


def _staged(row: ImportRow) -> tuple:
    evidence = row.evidence
    return (
        row.line,
        row.event_uuid,
        row.subject,
        row.subject_country,
        row.subject_region,
        row.purpose_id,
        row.status,
        row.notice_id,
        row.collection_method,
        row.occurred_at,
        row.expires_at,
        row.event_id,
        row.jurisdiction,
        row.reason,
        evidence.get("evidence_ip", ""),
        evidence.get("evidence_ip_hash", ""),
        evidence.get("evidence_user_agent_hash", ""),
        evidence.get("source_system", ""),
    )


def _write_with_copy(rows: list[ImportRow], *, recorded_by: str, now: datetime, outcome: BatchOutcome) -> None:
    parameters = {"now": now, "recorded_by": recorded_by}
    with connection.cursor() as cursor:
        # Safe to lose on a crash: the job's position commits with the rows, so a lost batch is imported again.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(CREATE_STAGING)
        # Emptied at commit; emptied here too for a caller whose transaction has not ended (tests, one long atomic).
        cursor.execute(f"TRUNCATE {STAGING}")
        with cursor.cursor.copy(COPY_STAGING) as copy:
            for row in rows:
                copy.write_row(_staged(row))
        # Without statistics the planner would read every subject to join a few thousand rows.
        cursor.execute(f"ANALYZE {STAGING} (subject, event_id, event_uuid)")
        cursor.execute(CREATE_SUBJECTS, parameters)
        outcome.subjects_created += cursor.rowcount
        cursor.execute(RECORD, parameters)
        inserted, _ = cursor.fetchone()
        outcome.recorded += inserted
        if inserted < len(rows):
            cursor.execute(SKIPPED_BY_CONFLICT)
            skipped = {line for (line,) in cursor.fetchall()}
            for row in _settle_recorded([row for row in rows if row.line in skipped], outcome):
                # Not a replay nor a reused id: the row lost a race it can win when imported again.
                outcome.failed.append((row.line, NOT_RECORDED))
