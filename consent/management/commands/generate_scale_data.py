"""``manage.py generate_scale_data``: deterministic purposes, subjects and consent events at scale, for benchmarks.

The same ``--seed`` gives the same rows, ids included. On PostgreSQL rows go
in with COPY (psycopg 3); elsewhere with executemany. ``--csv FILE`` writes the
consents as an import file instead (the columns of ``POST
/api/v1/consents/imports/``), for the import benchmark.
"""

import csv
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from consent.imports.writing import insert_many
from consent.models import ConsentEvent, DataSubject, PrivacyNotice, Purpose
from consent.services import advance_states, create_purpose, publish_notice

ACTOR = SystemActor("generate_scale_data")
JURISDICTIONS = ("GB", "DE", "FR", "NL", "US-CA", "US-NY", "")
STATUSES = (("granted", 70), ("withdrawn", 20), ("refused", 10))
METHODS = ("web_form", "app", "api", "import")
FIRST_MOMENT = datetime(2024, 1, 1, tzinfo=UTC)
SPREAD_SECONDS = 365 * 24 * 3600
SUBJECT_NAMESPACE = uuid.UUID("6a1c0f3e-1f1e-4c55-9a57-2d3c0b8f6e10")
CHUNK = 5000
EVENT_FIELDS = (
    "id", "subject_id", "purpose_id", "status", "occurred_at", "recorded_at", "notice_id", "collection_method", "jurisdiction",
    "evidence_ip", "evidence_ip_hash", "evidence_user_agent_hash", "source_system", "expires_at", "event_id", "recorded_by", "reason",
)
CSV_HEADER = ("subject", "purpose", "status", "notice_version", "collection_method", "occurred_at", "event_id")


@dataclass(frozen=True, slots=True)
class ScaleEvent:
    """One generated consent: subject and purpose by index."""

    event_id: str
    uuid: uuid.UUID
    subject: int
    purpose: int
    status: str
    occurred_at: datetime
    collection_method: str


def _chunks(rows: Iterator) -> Iterator[list]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def subject_external_id(prefix: str, number: int) -> str:
    """Return the external id of generated subject ``number``."""
    return f"{prefix}-subject-{number:08d}"


def purpose_code(prefix: str, number: int) -> str:
    """Return the code of generated purpose ``number``."""
    return f"{prefix}-purpose-{number}"


def generated_events(*, seed: int, prefix: str, subjects: int, purposes: int, count: int) -> Iterator[ScaleEvent]:
    """Yield ``count`` consents, the same ones for the same arguments."""
    rng = random.Random(f"{prefix}:{seed}")
    statuses = [status for status, _ in STATUSES]
    weights = [weight for _, weight in STATUSES]
    for number in range(count):
        yield ScaleEvent(
            event_id=f"{prefix}-{seed}-{number:09d}",
            uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
            subject=rng.randrange(subjects),
            purpose=rng.randrange(purposes),
            status=rng.choices(statuses, weights)[0],
            occurred_at=FIRST_MOMENT + timedelta(seconds=rng.randrange(SPREAD_SECONDS)),
            collection_method=rng.choice(METHODS),
        )


def _subject_row(prefix: str, number: int, now: datetime) -> tuple:
    jurisdiction = JURISDICTIONS[number % len(JURISDICTIONS)]
    country, _, region = jurisdiction.partition("-")
    external_id = subject_external_id(prefix, number)
    return (uuid.uuid5(SUBJECT_NAMESPACE, external_id), external_id, country, region, now, now)


SUBJECT_COLUMNS = "id, external_id, jurisdiction_country, jurisdiction_region, created_at, updated_at"
EVENT_COLUMNS = ", ".join(EVENT_FIELDS)
SCALE_STATES = """
INSERT INTO consent_consentstate AS state
    (subject_id, purpose_id, status, occurred_at, expires_at, notice_id, last_event_id, updated_at)
SELECT DISTINCT ON (subject_id, purpose_id) subject_id, purpose_id, status, occurred_at, expires_at, notice_id, id, %(now)s
FROM consent_consentevent WHERE event_id LIKE %(pattern)s
ORDER BY subject_id, purpose_id, occurred_at DESC, event_id DESC
ON CONFLICT (subject_id, purpose_id) DO UPDATE SET
    status = EXCLUDED.status, occurred_at = EXCLUDED.occurred_at, expires_at = EXCLUDED.expires_at,
    notice_id = EXCLUDED.notice_id, last_event_id = EXCLUDED.last_event_id, updated_at = EXCLUDED.updated_at
WHERE EXCLUDED.occurred_at >= state.occurred_at
"""


class Command(BaseCommand):
    help = "Generate deterministic scale data (purposes, subjects, consents) for benchmarks; never in production."

    def add_arguments(self, parser):
        parser.add_argument("--subjects", type=int, default=100_000, help="How many subjects (default 100,000).")
        parser.add_argument("--consents", type=int, default=1_000_000, help="How many consent events (default 1,000,000).")
        parser.add_argument("--purposes", type=int, default=5, help="How many purposes, each with notice v1 (default 5).")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same rows (default 1).")
        parser.add_argument("--prefix", default="scale", help="Starts every generated id and code (default scale).")
        parser.add_argument("--csv", type=Path, help="Write the consents to this import file instead of recording them.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("generate_scale_data writes made-up people: it refuses to run with DJANGO_ENV=production.")
        for name in ("subjects", "consents", "purposes"):
            if options[name] < (0 if name == "consents" else 1):
                raise CommandError(f"--{name} must be at least {0 if name == 'consents' else 1}.")
        started = time.monotonic()
        events = generated_events(
            seed=options["seed"],
            prefix=options["prefix"],
            subjects=options["subjects"],
            purposes=options["purposes"],
            count=options["consents"],
        )
        if options["csv"]:
            self._write_csv(options["csv"], events, prefix=options["prefix"])
            self.stdout.write(f"Wrote {options['consents']:,} consents to {options['csv']} in {time.monotonic() - started:.1f} s.")
            return
        pattern = f"{options['prefix']}-{options['seed']}-%"
        if options["consents"] and ConsentEvent.objects.filter(event_id=pattern.replace("%", f"{0:09d}")).exists():
            raise CommandError(
                f"Scale data with prefix {options['prefix']!r} and seed {options['seed']} is already there; choose another --seed."
            )
        notices = self._purposes(options["prefix"], options["purposes"])
        self._subjects(options["prefix"], options["subjects"])
        self._consents(events, prefix=options["prefix"], notices=notices, pattern=pattern)
        record_event(
            actor=ACTOR,
            action="scale_data.generated",
            data={key: options[key] for key in ("subjects", "consents", "purposes", "seed", "prefix")},
        )
        self.stdout.write(
            f"Generated {options['subjects']:,} subjects and {options['consents']:,} consents over {options['purposes']} purposes "
            f"in {time.monotonic() - started:.1f} s."
        )

    def _write_csv(self, path: Path, events: Iterator[ScaleEvent], *, prefix: str) -> None:
        with path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(CSV_HEADER)
            for event in events:
                writer.writerow(
                    (
                        subject_external_id(prefix, event.subject),
                        purpose_code(prefix, event.purpose),
                        event.status,
                        "v1",
                        event.collection_method,
                        event.occurred_at.isoformat().replace("+00:00", "Z"),
                        event.event_id,
                    )
                )

    def _purposes(self, prefix: str, count: int) -> list[tuple[int, int]]:
        """Return (purpose id, notice id) per generated purpose, creating those missing."""
        found = []
        for number in range(count):
            code = purpose_code(prefix, number)
            purpose = Purpose.objects.filter(code=code).first() or create_purpose(
                actor=ACTOR, code=code, name=f"Scale purpose {number}", lawful_basis="consent"
            )
            notice = PrivacyNotice.objects.filter(purpose=purpose, version="v1").first() or publish_notice(
                actor=ACTOR, purpose=purpose, version="v1", effective_at=FIRST_MOMENT, text=f"Scale notice for purpose {number}."
            )
            found.append((purpose.pk, notice.pk))
        return found

    def _subjects(self, prefix: str, count: int) -> None:
        now = timezone.now()
        rows = (_subject_row(prefix, number, now) for number in range(count))
        if connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                # Through a staging table, so subjects an earlier run made are kept rather than refused.
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS scale_subjects ON COMMIT DELETE ROWS"
                    f" AS SELECT {SUBJECT_COLUMNS} FROM consent_datasubject WITH NO DATA"
                )
                cursor.execute("TRUNCATE scale_subjects")
                with cursor.cursor.copy(f"COPY scale_subjects ({SUBJECT_COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    f"INSERT INTO consent_datasubject ({SUBJECT_COLUMNS}) SELECT {SUBJECT_COLUMNS} FROM scale_subjects"
                    " ON CONFLICT (external_id) DO NOTHING"
                )
            return
        for chunk in _chunks(rows):
            known = set(DataSubject.objects.filter(external_id__in=[row[1] for row in chunk]).values_list("external_id", flat=True))
            insert_many(
                DataSubject,
                [
                    DataSubject(id=pk, external_id=external_id, jurisdiction_country=country, jurisdiction_region=region)
                    for pk, external_id, country, region, _, _ in chunk
                    if external_id not in known
                ],
            )

    def _consents(self, events: Iterator[ScaleEvent], *, prefix: str, notices: list[tuple[int, int]], pattern: str) -> None:
        now = timezone.now()
        subject_ids: dict[int, uuid.UUID] = {}

        def subject_id(number: int) -> uuid.UUID:
            if number not in subject_ids:
                subject_ids[number] = uuid.uuid5(SUBJECT_NAMESPACE, subject_external_id(prefix, number))
            return subject_ids[number]

        def as_row(event: ScaleEvent) -> tuple:
            purpose_id, notice_id = notices[event.purpose]
            jurisdiction = JURISDICTIONS[event.subject % len(JURISDICTIONS)]
            return (
                event.uuid, subject_id(event.subject), purpose_id, event.status, event.occurred_at, now, notice_id,
                event.collection_method, jurisdiction, "", "", "", "scale-data", None, event.event_id, ACTOR.name, "",
            )

        if connection.vendor == "postgresql":
            # One transaction: the events and the states they set appear together.
            with transaction.atomic(), connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY consent_consentevent ({EVENT_COLUMNS}) FROM STDIN") as copy:
                    for event in events:
                        copy.write_row(as_row(event))
                cursor.execute(SCALE_STATES, {"now": now, "pattern": pattern})
            return
        for chunk in _chunks(events):
            created = [ConsentEvent(**dict(zip(EVENT_FIELDS, as_row(event), strict=True))) for event in chunk]
            with transaction.atomic():
                insert_many(ConsentEvent, created)
                advance_states(events=created)
