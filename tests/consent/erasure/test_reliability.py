"""Reliability of the erasure engine: lost messages, killed workers, stores that go away, exact clocks.

The crash test runs a real Celery worker as a subprocess against the committed
test database (services profile), kills it twice mid-run and checks that the
database, not the broker, carried every request to completion with each step
completed once. The store tests stop a Redis server the test started itself,
under a real worker in a thread. A rolled-back approval must leave the real
broker empty, and a pause spanning an extension must move the due moment by
exactly its length.
"""

import csv
import json
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
import sqlalchemy as sa
import time_machine
from celery.contrib.testing.worker import start_worker
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.services import record_event
from compliance.celery import app as celery_app
from consent.erasure import execution, services
from consent.erasure.models import ErasureRequest, ErasureStep, RequestStatus, StepCompletion, StepStatus
from datasets import connectors
from datasets.services import add_storage_location
from tests.brokers import closed_port, messages_waiting, own_queue, profile_broker, use_broker, wait_until  # noqa: F401
from tests.compliance.audit.chain import only_on_postgresql
from tests.conftest import verified_client
from tests.consent.erasure.processes import RedisServer, WorkerProcess
from tests.consent.erasure.stores import approve, completed, csv_rows, shop_stores, store_root  # noqa: F401 (fixtures)
from tests.datasets.connectors.conftest import mariadb_url, postgresql_url  # noqa: F401 (fixtures)
from tests.services import require

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def engine_queue(own_queue, settings):
    """Send the engine's tasks to a queue of this test's own (consumed only by a worker the test starts)."""
    settings.ERASURE_QUEUE = own_queue
    return own_queue


@pytest.fixture
def approved_shop(verified, shop_stores, approve):
    """The verified request approved over the SQLite and CSV shop stores; its step tasks not sent."""
    return approve(verified)


def _sweep_at(moment) -> dict[str, int]:
    with time_machine.travel(moment):
        return execution.sweep_expired_leases()


# --- Lost messages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweeper_resends_a_lost_message_once_per_lease_not_on_every_run(approved_shop, shop_stores, settings):
    queued_at = approved_shop.steps.get(location=shop_stores["csv"]).queued_at
    lease = timedelta(seconds=settings.ERASURE_STEP_LEASE_SECONDS)

    first = _sweep_at(queued_at + lease + timedelta(seconds=1))
    again = _sweep_at(queued_at + lease + timedelta(seconds=2))
    next_lease = _sweep_at(queued_at + 2 * lease + timedelta(seconds=2))

    assert (first["resent"], again["resent"], next_lease["resent"]) == (2, 0, 2)


@pytest.mark.django_db
def test_a_step_waiting_out_its_backoff_is_not_resent_before_a_lease_past_its_retry(
    verified, dataset, dpo, approve, settings
):
    settings.ERASURE_RETRY_BACKOFF_SECONDS = 100
    settings.ERASURE_STEP_LEASE_SECONDS = 10
    location = add_storage_location(
        actor=dpo, dataset=dataset, name="warehouse", kind="postgresql",
        url=f"postgresql://postgres@127.0.0.1:{closed_port()}/shop", table="customers", subject_key="external_id",
    )
    step = approve(verified).steps.get(location=location)
    failed_at = timezone.now()

    assert execution.run_step(step_id=step.pk) == execution.Outcome.RETRY

    step.refresh_from_db()
    # Attempt 1 waits between half and all of the 100 s base: the task sends itself for then.
    assert failed_at + timedelta(seconds=50) <= step.queued_at <= timezone.now() + timedelta(seconds=100)
    assert 0 < execution.retry_delay(step.pk) <= 100
    assert _sweep_at(failed_at + timedelta(seconds=11))["resent"] == 0
    assert _sweep_at(step.queued_at + timedelta(seconds=11))["resent"] == 1


# --- A worker that died after erasing -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_evidence_of_a_step_rerun_after_its_worker_died_counts_the_interrupted_attempt(approved_shop, shop_stores):
    step = approved_shop.steps.get(location=shop_stores["sqlite"])
    claimed = execution.claim_step(step_id=step.pk)
    # The worker erased the rows, then died before recording it.
    connectors.erase(claimed.location, execution.subject_keys(approved_shop))
    with time_machine.travel(claimed.lease_expires_at + timedelta(seconds=1)):
        assert execution.sweep_expired_leases()["requeued"] == 1
        assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE

    step.refresh_from_db()
    assert (step.evidence["records_affected"], step.evidence["interrupted_attempts"]) == (0, 1)
    other = approved_shop.steps.get(location=shop_stores["csv"])
    assert execution.run_step(step_id=other.pk) == execution.Outcome.DONE
    other.refresh_from_db()
    assert (other.evidence["records_affected"], other.evidence["interrupted_attempts"]) == (1, 0)


@pytest.mark.django_db
def test_a_step_reclaimed_after_its_lease_expired_counts_the_interrupted_attempt_too(approved_shop, shop_stores):
    step = approved_shop.steps.get(location=shop_stores["csv"])
    claimed = execution.claim_step(step_id=step.pk)

    # A second delivery arrives after the lease lapsed, before any sweeper run.
    with time_machine.travel(claimed.lease_expires_at + timedelta(seconds=1)):
        assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE

    step.refresh_from_db()
    assert (step.attempts, step.evidence["interrupted_attempts"]) == (2, 1)


# --- Nothing leaves a rolled-back transaction; clocks stay exact through pauses and extensions ---------------


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_approval_sends_nothing_to_the_broker(verified, shop_stores, dpo, engine_queue):
    with pytest.raises(Rollback), transaction.atomic():
        services.approve_erasure_request(actor=dpo, request=verified)
        raise Rollback

    assert messages_waiting(engine_queue) == 0
    assert not ErasureStep.objects.exists()
    services.approve_erasure_request(actor=dpo, request=verified)
    assert messages_waiting(engine_queue) == 2


def _end_of(year, month, day) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("jurisdiction", "received", "due", "extended_due"),
    [
        # GDPR: one calendar month (30 Nov → 30 Dec), extended to three from receipt: 29 February in a leap year.
        ("GB", datetime(2027, 11, 30, 10, 0, tzinfo=LONDON), _end_of(2027, 12, 30), _end_of(2028, 2, 29)),
        # CCPA: 45 days from 15 January is 29 February in a leap year; 45 more is 14 April.
        ("US-CA", datetime(2028, 1, 15, 10, 0, tzinfo=LONDON), _end_of(2028, 2, 29), _end_of(2028, 4, 14)),
    ],
)
@pytest.mark.django_db
def test_an_extension_granted_while_the_clock_is_paused_keeps_the_pause_to_the_microsecond(
    make_request, make_subject, dpo, settings, jurisdiction, received, due, extended_due
):
    settings.TIME_ZONE = "Europe/London"
    with time_machine.travel(received, tick=False):
        request = make_request(subject=make_subject("leap-1", jurisdiction=jurisdiction))
    paused_at = received + timedelta(days=5)
    with time_machine.travel(paused_at, tick=False):
        services.pause_clock(actor=dpo, request=request)
    with time_machine.travel(paused_at + timedelta(days=1), tick=False):
        extended = services.extend_deadline(actor=dpo, request=request, reason="Eleven systems to search")
    resumed_at = paused_at + timedelta(days=3, hours=12, minutes=30, microseconds=500_000)
    with time_machine.travel(resumed_at, tick=False):
        resumed = services.resume_clock(actor=dpo, request=request)

    assert request.due_at == due
    # The pause still running when the deadline moved counts in full once the clock resumes.
    assert extended.due_at == extended_due
    assert resumed.paused_total == resumed_at - paused_at
    assert resumed.due_at == extended_due + (resumed_at - paused_at)


# --- The sweeper and the audit chain's lock -----------------------------------------------------------


def _verified_request(make_request, make_subject, dpo, external_id):
    request = make_request(subject=make_subject(external_id))
    return services.verify_erasure_request(actor=dpo, request=request, method="id_document", evidence_note="Passport seen")


def _waiting_on_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        # Inside a transaction the statistics views keep their first snapshot unless it is cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_releases_the_audit_chain_before_locking_the_next_request(
    make_request, make_subject, make_location, dataset, dpo, engine_queue
):
    only_on_postgresql()
    make_location(dataset, "warehouse")
    first, second = (_verified_request(make_request, make_subject, dpo, f"user-{n}") for n in (1, 2))
    for request in (first, second):
        services.approve_erasure_request(actor=dpo, request=request)
    # Both steps' workers died: their leases lapsed.
    ErasureStep.objects.update(status=StepStatus.RUNNING, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1))
    swept = {}

    def sweep():
        try:
            swept["counts"] = execution.sweep_expired_leases()
        finally:
            connections.close_all()

    sweeper = threading.Thread(target=sweep)
    # A worker holds the second request (claiming another of its steps, say) and then records its event.
    with transaction.atomic():
        ErasureRequest.objects.select_for_update().get(pk=second.pk)
        sweeper.start()
        assert wait_until(_waiting_on_a_lock)  # the sweeper, done with the first step, waits for the second request
        record_event(actor=execution.ENGINE, action="erasure.test_claim", target=second, data={})
    sweeper.join(timeout=30)

    assert swept["counts"]["requeued"] == 2
    assert set(ErasureStep.objects.values_list("status", flat=True)) == {StepStatus.PENDING}


# --- A store goes away ---------------------------------------------------------------------------------


@pytest.fixture
def redis_store(tmp_path, verified, dataset, dpo):
    """A Redis server of this test's own, holding the subject's keys and another person's, registered as a location."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    client = server.client()
    client.hset("user:user-1:profile", mapping={"email": "jane.doe@example.com", "plan": "gold"})
    client.rpush("user:user-1:cart", "book", "lamp")
    client.hset("user:user-2:profile", mapping={"email": "other@example.com", "plan": "basic"})
    server.location = add_storage_location(
        actor=dpo, dataset=dataset, name="sessions", kind="redis", url=server.url, key_pattern="user:{key}:*",
        subject_key="external_id",
    )
    yield server
    server.stop()


def _unreachable(server) -> str:
    return f"The Redis server at {server.address} did not answer (connection refused or timed out); Custos will try again."


@pytest.mark.django_db(transaction=True)
def test_steps_on_a_store_that_went_away_retry_with_backoff_and_complete_when_it_returns(
    verified, redis_store, dpo, engine_queue, settings
):
    settings.ERASURE_RETRY_BACKOFF_SECONDS = 1
    settings.ERASURE_RETRY_BACKOFF_MAX_SECONDS = 2
    settings.ERASURE_MAX_ATTEMPTS = 50
    step_of = lambda: ErasureStep.objects.get(location=redis_store.location)  # noqa: E731

    with start_worker(celery_app, perform_ping_check=False, queues=[engine_queue]):
        redis_store.stop()
        services.approve_erasure_request(actor=dpo, request=verified)
        assert wait_until(lambda: step_of().attempts >= 3 and step_of().status == StepStatus.PENDING)
        waiting = step_of()
        redis_store.start()
        assert wait_until(lambda: ErasureRequest.objects.get(pk=verified.pk).status == RequestStatus.COMPLETED)

    assert waiting.last_error == _unreachable(redis_store)
    step = step_of()
    assert step.status == StepStatus.DONE
    assert step.attempts > waiting.attempts >= 3
    retried = AuditEvent.objects.filter(action="erasure.step_retrying", target_id=str(step.pk)).order_by("pk")
    assert [event.data["attempts"] for event in retried] == list(range(1, step.attempts))
    assert step.completions.get().attempt == step.attempts
    assert step.evidence["records_affected"] == 2
    assert sorted(redis_store.client().keys("*")) == ["user:user-2:profile"]


@pytest.mark.django_db(transaction=True)
def test_a_store_down_past_the_attempt_limit_fails_the_request_with_the_reason_on_its_page(
    verified, redis_store, dpo, engine_queue, settings
):
    settings.ERASURE_RETRY_BACKOFF_SECONDS = 0
    settings.ERASURE_MAX_ATTEMPTS = 3

    with start_worker(celery_app, perform_ping_check=False, queues=[engine_queue]):
        redis_store.stop()
        services.approve_erasure_request(actor=dpo, request=verified)
        assert wait_until(lambda: ErasureRequest.objects.get(pk=verified.pk).status == RequestStatus.FAILED)
    response = verified_client(dpo).get(reverse("erasure:request_detail", args=[verified.pk]))

    reason = f"Gave up after 3 attempts. Last error: {_unreachable(redis_store)}"
    step = ErasureStep.objects.get(location=redis_store.location)
    assert (step.status, step.attempts, step.last_error) == (StepStatus.FAILED, 3, reason)
    assert response.status_code == 200
    assert reason in response.content.decode()
    failed = AuditEvent.objects.get(action="erasure.failed", target_id=str(verified.pk))
    assert failed.data["reason"] == reason
    # The data is still there, and the request says so rather than claiming it done.
    redis_store.start()
    assert sorted(redis_store.client().keys("*")) == ["user:user-1:cart", "user:user-1:profile", "user:user-2:profile"]


# --- Each step completes once ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_second_completion_of_a_step(completed):
    step = completed.steps.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        StepCompletion.objects.create(step=step, attempt=step.attempts + 1, records_affected=0)

    assert StepCompletion.objects.filter(step=step).count() == 1


# --- A worker killed twice mid-run --------------------------------------------------------------------

PEOPLE = 200
BYSTANDERS = 40
# Every subject has rows in the two stores keyed by external id; the half who gave an email, in the two keyed by it too.
STEPS = PEOPLE * 2 + PEOPLE // 2 * 2
LEASE_SECONDS = 5
BROKER_DB = 13  # this test's own Redis database: flushed before and after


def _person(number: int) -> tuple[str, str]:
    """Return the subject's external id and email ("" for the odd-numbered, who gave none)."""
    return f"crash-{number:03}", (f"person{number:03}@example.org" if number % 2 == 0 else "")


def _bystander(number: int) -> tuple[str, str]:
    return f"bystander-{number:03}", f"bystander{number:03}@example.org"


@dataclass
class CrashStores:
    """The four stores of the crash test and how to read back what is left in each."""

    postgresql: sa.Engine
    mariadb: sa.Engine
    orders: Path
    events: Path

    def left(self) -> dict[str, list]:
        with self.postgresql.connect() as connection:
            accounts = connection.execute(sa.text("SELECT external_id FROM accounts ORDER BY id")).scalars().all()
        with self.mariadb.connect() as connection:
            contacts = connection.execute(sa.text("SELECT email FROM contacts ORDER BY id")).scalars().all()
        return {
            "postgresql": accounts,
            "mariadb": contacts,
            "csv": [row["customer_id"] for row in csv_rows(self.orders)],
            "jsonl": [json.loads(line)["user"]["email"] for line in self.events.read_text().splitlines()],
        }


@pytest.fixture(scope="session")
def services_profile():
    """Skip (on the embedded profile: the worker subprocess cannot reach an in-memory test database) or require the services."""
    only_on_postgresql()
    require("mariadb")
    require("redis")


def _table_rows(keys, bystander_keys, per_person):
    """Return the keys of a store's rows: ``per_person`` rows for each subject's key given, then one per bystander."""
    return [key for key in keys if key for _ in range(per_person)] + list(bystander_keys)


@pytest.fixture
def crash_stores(services_profile, postgresql_url, mariadb_url, store_root, dataset, dpo):
    """A PostgreSQL and a MariaDB table, a CSV and a JSON Lines file: rows for the 200 subjects and one per bystander."""
    people = [_person(number) for number in range(PEOPLE)]
    bystanders = [_bystander(number) for number in range(BYSTANDERS)]
    ids, emails = [key for key, _ in people], [email for _, email in people]
    bystander_ids, bystander_emails = [key for key, _ in bystanders], [email for _, email in bystanders]
    postgresql = sa.create_engine(postgresql_url.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.pool.NullPool)
    mariadb = sa.create_engine(mariadb_url.replace("mysql://", "mysql+pymysql://"), poolclass=sa.pool.NullPool)
    with postgresql.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS accounts"))
        connection.execute(sa.text("CREATE TABLE accounts (id serial PRIMARY KEY, external_id text NOT NULL, plan text)"))
        connection.execute(sa.text("CREATE INDEX accounts_external_id ON accounts (external_id)"))
        connection.execute(
            sa.text("INSERT INTO accounts (external_id, plan) VALUES (:key, 'gold')"),
            [{"key": key} for key in _table_rows(ids, bystander_ids, 2)],
        )
    with mariadb.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS contacts"))
        connection.execute(
            sa.text("CREATE TABLE contacts (id int AUTO_INCREMENT PRIMARY KEY, email varchar(255) NOT NULL, note text, INDEX (email))")
        )
        connection.execute(
            sa.text("INSERT INTO contacts (email, note) VALUES (:email, 'newsletter')"),
            [{"email": email} for email in _table_rows(emails, bystander_emails, 1)],
        )
    orders = store_root / "orders.csv"
    with open(orders, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["customer_id", "total"])
        writer.writerows([key, "10.00"] for key in _table_rows(ids, bystander_ids, 1))
    events = store_root / "events.jsonl"
    events.write_text(
        "".join(json.dumps({"user": {"email": email}, "event": "login"}) + "\n" for email in _table_rows(emails, bystander_emails, 2))
    )
    for name, kind, values in (
        ("accounts", "postgresql", {"url": postgresql_url, "table": "accounts", "subject_key": "external_id"}),
        ("contacts", "mysql", {"url": mariadb_url, "table": "contacts", "subject_key": "email"}),
        ("orders", "filesystem", {"path": str(orders), "format": "csv", "subject_key": "external_id", "subject_field": "customer_id"}),
        ("events", "filesystem", {"path": str(events), "format": "jsonl", "subject_key": "email", "subject_field": "user.email"}),
    ):
        add_storage_location(actor=dpo, dataset=dataset, name=name, kind=kind, **values)
    yield CrashStores(postgresql=postgresql, mariadb=mariadb, orders=orders, events=events)
    postgresql.dispose()
    mariadb.dispose()


@pytest.fixture
def crash_broker(services_profile, monkeypatch, settings):
    """A Redis database of this test's own as the broker, for the test process and its worker; flushed around the test."""
    url = f"redis://127.0.0.1:6379/{BROKER_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    use_broker(monkeypatch, url)
    settings.ERASURE_QUEUE = "erasure-crash"
    # Certificates are not what this test is about: they wait on a queue nobody consumes.
    settings.ERASURE_CERTIFICATE_QUEUE = "erasure-crash-certificates"
    settings.ERASURE_STEP_LEASE_SECONDS = LEASE_SECONDS
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def crash_worker(crash_broker, settings, tmp_path):
    worker = WorkerProcess(
        broker_url=crash_broker,
        queue=settings.ERASURE_QUEUE,
        log=tmp_path / "worker.log",
        ERASURE_CERTIFICATE_QUEUE=settings.ERASURE_CERTIFICATE_QUEUE,
        ERASURE_STEP_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    yield worker
    worker.stop()


def _steps_by_status() -> Counter:
    return Counter(ErasureStep.objects.values_list("status", flat=True))


def _kill_mid_step(worker: WorkerProcess, *, done_at_least: int) -> tuple[set[int], int]:
    """Kill the worker once that many steps are done and one is running, and start it again.

    Returns the steps the kill left running and how many were done by then.
    The step seen running may finish in the instant before the kill lands:
    then the worker is started again and killed at the next running step.
    """
    for _ in range(10):
        progressed = wait_until(
            lambda: (counts := _steps_by_status())[StepStatus.DONE] >= done_at_least and counts[StepStatus.RUNNING] >= 1,
            seconds=120,
        )
        assert progressed, f"no progress: {_steps_by_status()}\n{worker.log.read_text()[-3000:]}"
        worker.kill()
        left_running = set(ErasureStep.objects.filter(status=StepStatus.RUNNING).values_list("pk", flat=True))
        done = _steps_by_status()[StepStatus.DONE]
        worker.start()
        if left_running:
            return left_running, done
    pytest.fail("the worker was never killed while a step was running")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_twice_mid_run_loses_nothing_and_completes_every_step_once(
    crash_stores, crash_worker, make_subject, make_request, dpo, settings
):
    requests = []
    for number in range(PEOPLE):
        external_id, email = _person(number)
        subject = make_subject(external_id, **({"email": email} if email else {}))
        request = make_request(subject=subject)
        requests.append(services.verify_erasure_request(actor=dpo, request=request, method="id_document", evidence_note="Passport seen"))

    crash_worker.start()
    for request in requests:
        services.approve_erasure_request(actor=dpo, request=request)
    killed_running = set()
    for done_at_least in (STEPS // 4, STEPS * 3 // 5):
        left_running, done = _kill_mid_step(crash_worker, done_at_least=done_at_least)
        assert done < STEPS  # killed mid-run: some steps done, some running, the rest still to come
        killed_running |= left_running

    def all_completed() -> bool:
        # The beat sweeper's work, run here whenever the queue has drained: the killed worker's running
        # steps are requeued once their lease expires, and the messages it had taken are sent again.
        if messages_waiting(settings.ERASURE_QUEUE) == 0:
            execution.sweep_expired_leases()
        return not ErasureRequest.objects.exclude(status=RequestStatus.COMPLETED).exists()

    assert wait_until(all_completed, seconds=240), f"{_steps_by_status()}\n{crash_worker.log.read_text()[-3000:]}"
    crash_worker.stop()

    # No request lost: all 200 completed, and nothing else exists.
    assert ErasureStep.objects.count() == STEPS
    assert Counter(ErasureRequest.objects.values_list("status", flat=True)) == {RequestStatus.COMPLETED: PEOPLE}
    assert AuditEvent.objects.filter(action="erasure.completed").count() == PEOPLE
    # Every step completed exactly once: one completion row each (the unique constraint), one done event each.
    assert _steps_by_status() == {StepStatus.DONE: STEPS}
    assert StepCompletion.objects.count() == STEPS
    done_events = Counter(AuditEvent.objects.filter(action="erasure.step_done").values_list("target_id", flat=True))
    assert done_events == {str(pk): 1 for pk in ErasureStep.objects.values_list("pk", flat=True)}
    # The steps the kills interrupted were requeued by the sweeper and finished on a later attempt.
    recovered = ErasureStep.objects.filter(pk__in=killed_running)
    assert all(
        step.attempts >= 2 and step.evidence["interrupted_attempts"] >= 1 and step.completions.get().attempt == step.attempts
        for step in recovered
    )
    requeued = set(AuditEvent.objects.filter(action="erasure.step_requeued").values_list("target_id", flat=True))
    assert {str(pk) for pk in killed_running} <= requeued
    # Every target record is gone from every store, and every bystander's record is still there.
    bystanders = [_bystander(number) for number in range(BYSTANDERS)]
    assert crash_stores.left() == {
        "postgresql": [key for key, _ in bystanders],
        "mariadb": [email for _, email in bystanders],
        "csv": [key for key, _ in bystanders],
        "jsonl": [email for _, email in bystanders],
    }
