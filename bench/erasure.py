"""Benchmark: erasure requests through the execution engine and a real Celery worker, against the connectors in one loop.

    python bench/erasure.py            (after bench/run.py has seeded the database)

Five real stores, each of BENCH_ERASURE_ROWS rows with one row per subject:
a PostgreSQL table, a MariaDB table and a SQLite table (each with the subject
column indexed), a CSV file and a JSON Lines file (files have no index: every
erasure reads and rewrites the whole file). Each is registered as a storage
location keyed by the subject's external id, in delete mode. The requests name
BENCH_ERASURE_REQUESTS subjects of the seeded data, spread over the rows.

Each figure is measured on fresh stores and its own copy of the seeded database:

* baseline: ``datasets.connectors.erase`` called in-process in one loop, for
  every request's subject and every location, in the same order;
* engine: the requests (received and verified beforehand, untimed) are
  approved one by one; each approval enqueues its steps after commit; one
  Celery worker subprocess (prefork, concurrency BENCH_ERASURE_CONCURRENCY,
  on a redis-server of the benchmark's own) claims, erases and records them
  and completes the requests (consents withdrawn, identifiers reduced, audit
  events). Timed from the first approval until the database shows every
  request completed.
  Certificates go to a queue no worker consumes (rendering is low priority
  and completion does not wait on it), purged afterwards;
* end to end: with the worker idle, one more request, approval to completed
  (wall time), BENCH_ERASURE_E2E times; the median is printed with each.

Goal: engine steps/s ≥ 0.60 × baseline steps/s. The stores and databases are
dropped at the end.
"""

import csv
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench.databases import PYTHON, ROOT, Skipped, bench_url, copy_of, database_name, django_env, manage, with_database  # noqa: E402

GOAL = 0.60
REDIS = ("127.0.0.1", 6379)
# Without redis-server on the PATH, the shared Redis on REDIS, in a database of its own.
SHARED_BROKER_URL = "redis://127.0.0.1:6379/13"
STALL_SECONDS = 300
COLUMNS = ("id", "external_id", "email", "full_name", "plan", "amount", "created_at")
PLANS = ("free", "basic", "pro", "team")
KINDS = ("postgresql", "mysql", "sqlite", "csv", "jsonl")


def settings_from_env() -> dict:
    return {
        "requests": int(os.environ.get("BENCH_ERASURE_REQUESTS", 1000)),
        "rows": int(os.environ.get("BENCH_ERASURE_ROWS", 100_000)),
        "concurrency": int(os.environ.get("BENCH_ERASURE_CONCURRENCY", 2)),
        "e2e": int(os.environ.get("BENCH_ERASURE_E2E", 3)),
        "subjects": int(os.environ.get("BENCH_SUBJECTS", 100_000)),
        "mysql_url": os.environ.get("BENCH_MARIADB_URL", "mysql://root@127.0.0.1:3306/"),
    }


def external_id(number: int) -> str:
    """Return the external id of seeded subject ``number`` (as ``generate_scale_data`` names them)."""
    return f"scale-subject-{number:08d}"


def rows_of(number: int, options: dict) -> int:
    """Return how many rows of each store belong to subject ``number``."""
    full, rest = divmod(options["rows"], options["subjects"])
    return full + (1 if number < rest else 0)


def request_numbers(options: dict) -> tuple[list[int], list[int]]:
    """Return the subjects of the measured requests and of the end-to-end ones, spread over the stores' rows."""
    population = min(options["rows"], options["subjects"])
    wanted = options["requests"] + options["e2e"]
    if population < wanted:
        raise RuntimeError(f"{wanted} requests need as many subjects with rows; the stores have {population}.")
    stride = population // wanted
    numbers = [index * stride for index in range(wanted)]
    return numbers[: options["requests"]], numbers[options["requests"] :]


# --- The stores ----------------------------------------------------------------------------------


def _answers(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=2).close()
        return True
    except OSError:
        return False


def _rows(options: dict):
    """Yield the stores' rows: row ``n`` belongs to subject ``n`` modulo the seeded subjects."""
    subjects = options["subjects"]
    for number in range(options["rows"]):
        subject = number % subjects
        yield (
            number + 1, external_id(subject), f"person{number}@example.org", f"Person {number}", PLANS[number % len(PLANS)],
            f"{(number * 37) % 100000 / 100:.2f}", f"2025-{number % 12 + 1:02d}-{number % 28 + 1:02d} 12:00:00",
        )


def _write_files(folder: Path, options: dict) -> None:
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        writer.writerows(_rows(options))
    with (folder / "customers.jsonl").open("w", encoding="utf-8") as file:
        for row in _rows(options):
            file.write(json.dumps(dict(zip(COLUMNS, row))) + "\n")
    with sqlite3.connect(folder / "customers.sqlite3") as connection:
        connection.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, external_id TEXT NOT NULL, email TEXT, full_name TEXT,"
            " plan TEXT, amount NUMERIC, created_at TEXT)"
        )
        connection.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", _rows(options))
        connection.execute("CREATE INDEX customers_external_id ON customers (external_id)")
    connection.close()


TABLE = (
    "CREATE TABLE customers (id BIGINT PRIMARY KEY, external_id VARCHAR(64) NOT NULL, email VARCHAR(200),"
    " full_name VARCHAR(200), plan VARCHAR(20), amount NUMERIC(10, 2), created_at TIMESTAMP NULL)"
)


def _postgresql_store(url: str, name: str, options: dict) -> None:
    with psycopg.connect(with_database(url, "postgres").replace("postgres://", "postgresql://", 1), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(with_database(url, name).replace("postgres://", "postgresql://", 1)) as connection:
        connection.execute(TABLE)
        with connection.cursor().copy(f"COPY customers ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in _rows(options):
                copy.write_row(row)
        connection.execute("CREATE INDEX customers_external_id ON customers (external_id)")
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE customers")


def _mysql(url: str, database: str | None = None):
    import pymysql

    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1", port=parts.port or 3306, user=parts.username or "root",
        password=parts.password or "", database=database, autocommit=True,
    )


def _mysql_store(url: str, name: str, options: dict) -> None:
    connection = _mysql(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}`")
            cursor.execute(f"USE `{name}`")
            cursor.execute(TABLE + " ENGINE=InnoDB")
            rows = list(_rows(options))
            for start in range(0, len(rows), 5000):
                cursor.executemany("INSERT INTO customers VALUES (%s, %s, %s, %s, %s, %s, %s)", rows[start : start + 5000])
            cursor.execute("CREATE INDEX customers_external_id ON customers (external_id)")
            cursor.execute("ANALYZE TABLE customers")
    finally:
        connection.close()


def _drop_stores(url: str, mysql_url: str, name: str) -> None:
    with psycopg.connect(with_database(url, "postgres").replace("postgres://", "postgresql://", 1), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    connection = _mysql(mysql_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        connection.close()


@contextmanager
def fresh_stores(url: str, options: dict, suffix: str):
    """Yield the stores' description (folder, database URLs), built afresh; drop them all afterwards."""
    name = f"{database_name(url)}_store_{suffix}"
    with tempfile.TemporaryDirectory(prefix="custos-bench-erasure-") as folder:
        folder = Path(folder)
        try:
            _postgresql_store(url, name, options)
            _mysql_store(options["mysql_url"], name, options)
            _write_files(folder, options)
            yield {
                "folder": str(folder),
                "postgresql_url": with_database(url, name).replace("postgres://", "postgresql://", 1),
                "mysql_url": options["mysql_url"].rstrip("/") + f"/{name}",
            }
        finally:
            _drop_stores(url, options["mysql_url"], name)


def store_counts(stores: dict) -> dict[str, int]:
    """Return the rows left in each store."""
    folder = Path(stores["folder"])
    with psycopg.connect(stores["postgresql_url"]) as connection:
        postgresql = connection.execute("SELECT count(*) FROM customers").fetchone()[0]
    mysql_url = stores["mysql_url"]
    connection = _mysql(mysql_url.rsplit("/", 1)[0] + "/", mysql_url.rsplit("/", 1)[1])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers")
            mysql = cursor.fetchone()[0]
    finally:
        connection.close()
    with sqlite3.connect(folder / "customers.sqlite3") as lite:
        sqlite = lite.execute("SELECT count(*) FROM customers").fetchone()[0]
    lite.close()
    with (folder / "customers.csv").open(encoding="utf-8") as file:
        csv_rows = sum(1 for _ in file) - 1
    with (folder / "customers.jsonl").open(encoding="utf-8") as file:
        jsonl_rows = sum(1 for _ in file)
    return {"postgresql": postgresql, "mysql": mysql, "sqlite": sqlite, "csv": csv_rows, "jsonl": jsonl_rows}


# --- In the child processes (Django set up on a copy of the seeded database) -----------------------


def _setup_django() -> None:
    import django

    django.setup()


def _register_locations(stores: dict) -> list:
    """Register the five stores as locations of one dataset, keyed by external id, in delete mode."""
    from compliance.audit.actors import SystemActor
    from datasets.services import add_storage_location, create_dataset

    actor = SystemActor("benchmark")
    dataset = create_dataset(actor=actor, name="Erasure benchmark customers")
    folder = Path(stores["folder"])
    specs = (
        {"name": "postgresql", "kind": "postgresql", "url": stores["postgresql_url"], "table": "customers"},
        {"name": "mariadb", "kind": "mysql", "url": stores["mysql_url"], "table": "customers"},
        {"name": "sqlite", "kind": "sqlite", "path": str(folder / "customers.sqlite3"), "table": "customers"},
        {"name": "csv", "kind": "filesystem", "path": str(folder / "customers.csv"), "format": "csv"},
        {"name": "jsonl", "kind": "filesystem", "path": str(folder / "customers.jsonl"), "format": "jsonl"},
    )
    return [
        add_storage_location(actor=actor, dataset=dataset, subject_key="external_id", subject_field="external_id", **spec)
        for spec in specs
    ]


def measure_baseline(stores: dict, numbers: list[int]) -> dict:
    """Time ``connectors.erase`` for every subject and location in one loop, in this process."""
    _setup_django()
    from datasets import connectors

    locations = _register_locations(stores)
    keys = [connectors.SubjectKeys(external_id=external_id(number)) for number in numbers]
    affected = 0
    started = time.perf_counter()
    for key in keys:
        for location in locations:
            affected += connectors.erase(location, key, location.erasure_mode).records_affected
    seconds = time.perf_counter() - started
    return {"steps": len(keys) * len(locations), "requests": len(keys), "seconds": seconds, "affected": affected}


def _file_requests(numbers: list[int]) -> list:
    """Receive and verify a request for each subject (untimed), as the DPO would before approving."""
    from compliance.audit.actors import SystemActor
    from consent.erasure import services
    from consent.models import DataSubject

    actor = SystemActor("benchmark")
    subjects = DataSubject.objects.in_bulk([external_id(number) for number in numbers], field_name="external_id")
    requests = []
    for number in numbers:
        request = services.receive_erasure_request(actor=actor, subject=subjects[external_id(number)], source="api")
        requests.append(
            services.verify_erasure_request(actor=actor, request=request, method="id_document", evidence_note="benchmark")
        )
    return requests


def _wait_for_worker(worker: subprocess.Popen) -> None:
    from compliance.celery import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("the Celery worker exited before it answered")
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("the Celery worker did not answer within 120 s")


def _start_worker(concurrency: int) -> subprocess.Popen:
    from django.conf import settings

    command = [
        PYTHON, "-m", "celery", "-A", "compliance", "worker", f"--concurrency={concurrency}", "--pool=prefork",
        "-Q", settings.ERASURE_QUEUE, "--loglevel=WARNING", "--without-gossip", "--without-mingle",
        f"--hostname=bench-erasure-{os.getpid()}@%h",
    ]
    return subprocess.Popen(command, env=os.environ.copy(), cwd=ROOT, start_new_session=True)


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _wait_until_completed(request_ids: list[int], pause: float) -> float:
    """Poll the database until every request is completed; return the perf_counter time it saw that.

    Raises when a request fails, or when no step finished for STALL_SECONDS
    (the worker died, or its messages were lost: no sweeper runs here).
    """
    from consent.erasure.models import ErasureRequest, ErasureStep, RequestStatus, StepStatus

    finished, progress_at = -1, time.monotonic()
    while True:
        left = ErasureRequest.objects.filter(pk__in=request_ids).exclude(status=RequestStatus.COMPLETED)
        if not left.exists():
            return time.perf_counter()
        if left.filter(status=RequestStatus.FAILED).exists():
            errors = ErasureStep.objects.filter(request__in=left).exclude(last_error="").values_list("last_error", flat=True)
            raise RuntimeError(f"a request failed: {next(iter(errors), 'no step error recorded')}")
        now_finished = ErasureStep.objects.filter(request__in=request_ids, status=StepStatus.DONE).count()
        if now_finished != finished:
            finished, progress_at = now_finished, time.monotonic()
        elif time.monotonic() - progress_at > STALL_SECONDS:
            raise RuntimeError(f"no step finished for {STALL_SECONDS} s ({finished} of the steps done): the worker stalled")
        time.sleep(pause)


def measure_engine(stores: dict, numbers: list[int], e2e_numbers: list[int], concurrency: int) -> dict:
    """Approve every request and time until the worker completed them all; then time single requests, worker idle."""
    _setup_django()
    from compliance.audit.actors import SystemActor
    from consent.erasure import services
    from consent.erasure.models import ErasureStep, StepStatus

    actor = SystemActor("benchmark")
    _register_locations(stores)
    requests = _file_requests(numbers)
    singles = _file_requests(e2e_numbers)
    worker = _start_worker(concurrency)
    try:
        _wait_for_worker(worker)
        started = time.perf_counter()
        for request in requests:
            services.approve_erasure_request(actor=actor, request=request)
        approved = time.perf_counter()
        finished = _wait_until_completed([request.pk for request in requests], pause=0.25)
        steps = ErasureStep.objects.filter(request__in=[request.pk for request in requests])
        done = steps.filter(status=StepStatus.DONE)
        affected = sum(step.evidence["records_affected"] for step in done.only("evidence"))
        attempts = sum(steps.values_list("attempts", flat=True))
        end_to_end = []
        for request in singles:
            time.sleep(1.0)  # the worker idle
            began = time.perf_counter()
            services.approve_erasure_request(actor=actor, request=request)
            end_to_end.append(_wait_until_completed([request.pk], pause=0.005) - began)
    finally:
        _stop_worker(worker)
    return {
        "steps": steps.count(),
        "done": done.count(),
        "attempts": attempts,
        "requests": len(requests),
        "seconds": finished - started,
        "approve_seconds": approved - started,
        "affected": affected,
        "end_to_end": end_to_end,
    }


# --- The benchmark ----------------------------------------------------------------------------------


def _child(url: str, stores: dict, arguments: dict, broker_url: str = SHARED_BROKER_URL) -> dict:
    """Run one measurement in a process of its own on database ``url``; return what it reports."""
    # The seeded database may predate a migration added since (a no-op otherwise).
    manage(url, "migrate", "--noinput")
    queue = f"bench-erasure-{os.getpid()}"
    extra = {
        "CONNECTOR_FILESYSTEM_ROOTS": stores["folder"],
        "CELERY_BROKER_URL": broker_url,
        "ERASURE_QUEUE": queue,
        # Certificates render at low priority on a queue of their own; none consumes it here.
        "ERASURE_CERTIFICATE_QUEUE": f"{queue}-certificates",
        "LOG_LEVEL": "WARNING",
    }
    try:
        result = subprocess.run(
            [PYTHON, __file__, "--child"],
            input=json.dumps({"stores": stores, **arguments}),
            env=django_env(url, **extra),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        if arguments["measure"] == "engine":
            _purge_queues(broker_url, queue)
    if result.returncode:
        raise RuntimeError(f"{arguments['measure']} failed:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _purge_queues(broker_url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        # The queues and their priority lists (kombu names them after the queue).
        for key in list(client.scan_iter(match=f"{queue}*")):
            client.delete(key)
    finally:
        client.close()


@contextmanager
def broker():
    """Yield the broker's URL: a redis-server of the benchmark's own (no other work can flush its queues), stopped after.

    Without redis-server on the PATH, the shared Redis on 127.0.0.1:6379, database 13.
    """
    program = shutil.which("redis-server")
    if program is None:
        if not _answers(REDIS):
            raise Skipped(f"Redis (the worker's broker) does not answer on {REDIS[0]}:{REDIS[1]}")
        yield SHARED_BROKER_URL
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="custos-bench-redis-") as folder:
        server = subprocess.Popen(
            [program, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while not _answers(("127.0.0.1", port)):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.1)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=30)


def run() -> bool:
    """Measure and print the figures; return whether the goal is met."""
    url = bench_url()
    options = settings_from_env()
    mysql = urlsplit(options["mysql_url"])
    if not _answers((mysql.hostname or "127.0.0.1", mysql.port or 3306)):
        raise Skipped(f"MariaDB does not answer on {mysql.hostname}:{mysql.port or 3306}")
    numbers, e2e_numbers = request_numbers(options)
    per_request = sum(rows_of(number, options) for number in numbers)
    per_single = sum(rows_of(number, options) for number in e2e_numbers)
    expected = options["rows"] - per_request

    print(
        f"erasure: {len(numbers):,} requests × {len(KINDS)} locations ({', '.join(KINDS)}), {options['rows']:,} rows each,"
        f" one worker of concurrency {options['concurrency']} on Redis, {os.cpu_count()} processors",
        flush=True,
    )
    with fresh_stores(url, options, "baseline") as stores, copy_of(url, "erasure_baseline") as database:
        baseline = _child(database, stores, {"measure": "baseline", "numbers": numbers})
        left = store_counts(stores)
    if baseline["affected"] != per_request * len(KINDS) or set(left.values()) != {expected}:
        raise RuntimeError(f"the baseline did not erase one row per step: {baseline}, rows left {left}")
    base_rate = baseline["steps"] / baseline["seconds"]
    print(
        f"  baseline  connectors.erase in one loop: {base_rate:>7.1f} steps/s, {baseline['requests'] / baseline['seconds']:>6.2f} requests/s"
        f" ({baseline['seconds']:.1f} s)",
        flush=True,
    )

    with broker() as broker_url, fresh_stores(url, options, "engine") as stores, copy_of(url, "erasure_engine") as database:
        engine = _child(
            database, stores,
            {"measure": "engine", "numbers": numbers, "e2e": e2e_numbers, "concurrency": options["concurrency"]},
            broker_url,
        )
        left = store_counts(stores)
    if (
        engine["done"] != engine["steps"]
        or engine["affected"] != per_request * len(KINDS)
        or set(left.values()) != {expected - per_single}
    ):
        raise RuntimeError(f"the engine did not erase one row per step: {engine}, rows left {left}")

    engine_rate = engine["steps"] / engine["seconds"]
    ratio = engine_rate / base_rate
    e2e = engine["end_to_end"]
    print(
        f"  engine    approve → worker → completed: {engine_rate:>7.1f} steps/s, {engine['requests'] / engine['seconds']:>6.2f} requests/s"
        f" ({engine['seconds']:.1f} s, approvals {engine['approve_seconds']:.1f} s, {engine['attempts']:,} attempts)"
    )
    print(f"  ratio     {ratio:.2f} (goal ≥ {GOAL:.2f}) {'met' if ratio >= GOAL else 'MISSED'}")
    if e2e:
        print(
            f"  one request end to end (approve → completed, worker idle): median {statistics.median(e2e) * 1000:,.0f} ms"
            f" ({', '.join(f'{seconds * 1000:,.0f}' for seconds in e2e)} ms)"
        )
    return ratio >= GOAL


def child_main(arguments: dict) -> dict:
    if arguments["measure"] == "baseline":
        return measure_baseline(arguments["stores"], arguments["numbers"])
    return measure_engine(arguments["stores"], arguments["numbers"], arguments["e2e"], arguments["concurrency"])


def main() -> int:
    if len(sys.argv) == 2 and sys.argv[1] == "--child":
        print(json.dumps(child_main(json.loads(sys.stdin.read()))))
        return 0
    try:
        return 0 if run() else 1
    except Skipped as reason:
        print(f"erasure: skipped, {reason}.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
