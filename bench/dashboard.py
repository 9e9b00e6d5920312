"""Benchmark: the manager dashboard's server time and query count as the data grows.

    python bench/dashboard.py            (after bench/run.py has seeded the database)

On a copy of the seeded database (BENCH_SEED_CONSENTS consent events,
BENCH_SUBJECTS subjects) with the demo organisation (``seed_demo``: frameworks,
the demo assessment and its score history) and BENCH_DASHBOARD_REQUESTS rights
requests (half erasure, half access, spread over regulations, statuses and due
dates) plus as many high-risk audit events, a signed-in compliance manager's
``GET /dashboard/`` is timed (Django's test client in the process: the view,
its queries and the template, no network; median of BENCH_PAGE_RUNS after three
warm-ups) against a trivial authenticated page (``/accounts/security/``) in the
same process. Goal: the dashboard within 3× the trivial page.

Its query count is compared with the dashboard's on a small database (the same
seeding with BENCH_PAGES_SMALL_SUBJECTS subjects, BENCH_PAGES_SMALL_CONSENTS
events and 10 rights requests) measured in the same run. Goal: the same count.
The beat task's refresh of the stored summary is timed too (printed, no goal):
it is the work the page no longer does.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import PYTHON, Skipped, bench_url, copy_of, django_env, fresh_database, manage, vacuum_analyze  # noqa: E402

TIME_GOAL = 3.0
WARM_UPS = 3
ROUNDS = 2


def settings_from_env() -> dict[str, int]:
    return {
        "runs": int(os.environ.get("BENCH_PAGE_RUNS", 5)),
        "purposes": int(os.environ.get("BENCH_PURPOSES", 5)),
        "requests": int(os.environ.get("BENCH_DASHBOARD_REQUESTS", 10_000)),
        "small_subjects": int(os.environ.get("BENCH_PAGES_SMALL_SUBJECTS", 1_000)),
        "small_consents": int(os.environ.get("BENCH_PAGES_SMALL_CONSENTS", 10_000)),
    }


# --- the data, in a process of its own ---------------------------------------------------------------------


def add_rights_requests(count: int) -> None:
    """Insert ``count`` rights requests (half erasure, half access) for seeded subjects, and as many high-risk events."""
    import uuid
    from datetime import timedelta

    from django.db.models import Max
    from django.utils import timezone

    from compliance.audit.models import AuditEvent, ChainHead
    from consent.erasure.access_models import AccessRequest
    from consent.erasure.models import ErasureRequest
    from consent.models import DataSubject

    now = timezone.now()
    subjects = list(DataSubject.objects.order_by("pk").values_list("pk", flat=True)[:count])
    regulations = ("gdpr", "ccpa", "policy")

    def common(number: int) -> dict:
        received = now - timedelta(days=number % 120, hours=number % 24)
        return {
            "uid": uuid.uuid4(), "subject_id": subjects[number % len(subjects)], "regulation": regulations[number % 3],
            "clause": "benchmark", "source": "api", "received_at": received, "due_at": received + timedelta(days=30),
            "created_by": "bench",
        }

    erasures, accesses = [], []
    for number in range(count):
        fields = common(number)
        if number % 2 == 0:
            done = number % 4 == 0
            erasures.append(ErasureRequest(**fields, status="completed" if done else "received",
                                           completed_at=fields["received_at"] + timedelta(days=number % 40) if done else None))
        else:
            accesses.append(AccessRequest(**fields, status="received"))
    ErasureRequest.objects.bulk_create(erasures, batch_size=2000)
    AccessRequest.objects.bulk_create(accesses, batch_size=2000)
    # High-risk events straight into the table (the dashboard reads it; it does not walk the chain).
    start = (AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0) + 1
    actions = ("subject.revealed", "export.downloaded", "auth.permission_denied", "auth.locked_out", "datasets.exported")
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(sequence=sequence, occurred_at=now - timedelta(minutes=sequence % 20000), actor_type="system",
                       actor_label="bench", action=actions[sequence % len(actions)], target_type="", target_id="",
                       data={}, prev_hash="0" * 64, hash=f"{sequence:064x}")
            for sequence in range(start, start + count)
        ],
        batch_size=5000,
    )
    ChainHead.objects.filter(pk=1).update(sequence=start + count - 1, hash=f"{start + count - 1:064x}")


def _signed_in(username: str, role):
    """Return a test client signed in as a new user of ``role`` who has passed MFA."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from compliance.accounts import otp
    from compliance.accounts.models import TOTPDevice
    from compliance.accounts.services import create_user
    from compliance.audit.actors import SystemActor

    user = get_user_model().objects.filter(username=username).first() or create_user(
        actor=SystemActor("benchmark"), username=username, email=f"{username}@example.org", first_name="Bench",
        last_name="Manager", roles=[role], access_expires_on=None, password="not used: the client signs in directly",
    )
    client = Client()
    client.force_login(user)
    device = TOTPDevice(user=user, name="Authenticator", confirmed=True)
    device.encrypted_key = otp.new_totp_seed()
    device.save()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _time(client, url: str, runs: int) -> dict:
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    for _ in range(WARM_UPS - 1):
        client.get(url)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        seconds.append(time.perf_counter() - started)
    return {"ms": statistics.median(seconds) * 1000, "all_ms": [round(s * 1000, 1) for s in seconds], "queries": len(queries)}


def prepare(requests: int) -> dict:
    """Add the rights requests and high-risk events to the database of DATABASE_URL."""
    import django

    django.setup()
    add_rights_requests(requests)
    return {"requests": requests}


def measure(runs: int) -> dict:
    """Refresh the summary once (timed), then time the dashboard and the trivial page on the database of DATABASE_URL."""
    import django

    django.setup()
    from django.urls import reverse

    from compliance.accounts.roles import Role
    from compliance.audit.actors import SystemActor
    from compliance.reports.dashboard_services import refresh_dashboard_summary
    from consent.erasure.access_models import AccessRequest
    from consent.erasure.models import ErasureRequest
    from consent.models import ConsentEvent
    from consent.selectors import subject_count

    started = time.perf_counter()
    refresh_dashboard_summary(actor=SystemActor("benchmark"))
    refresh_ms = (time.perf_counter() - started) * 1000
    client = _signed_in("bench-manager", Role.COMPLIANCE_MANAGER)
    return {
        "subjects": subject_count(),
        "events": ConsentEvent.objects.count(),
        "requests": ErasureRequest.objects.count() + AccessRequest.objects.count(),
        "refresh_ms": refresh_ms,
        "trivial": _time(client, reverse("accounts:security"), runs),
        "dashboard": _time(client, reverse("reports:dashboard"), runs),
    }


def _child(url: str, *arguments: str) -> dict:
    result = subprocess.run([PYTHON, __file__, *arguments], env=django_env(url), capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"the measurement failed:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the benchmark -----------------------------------------------------------------------------------------


def _pooled(results: list[dict]) -> dict:
    merged = dict(results[0])
    for page in ("trivial", "dashboard"):
        runs = [ms for result in results for ms in result[page]["all_ms"]]
        merged[page] = {"ms": statistics.median(runs), "all_ms": runs, "queries": results[0][page]["queries"]}
    merged["refresh_ms"] = statistics.median(result["refresh_ms"] for result in results)
    return merged


def _line(label: str, figure: dict) -> str:
    runs = figure["all_ms"]
    return f"{label:<40} {figure['ms']:>8.1f} ms  {figure['queries']:>3} queries  ({len(runs)} runs, {min(runs):.1f}–{max(runs):.1f} ms)"


def _seed_demo(url: str) -> None:
    manage(url, "seed_demo", "--password=bench-dashboard-2026")


def run() -> bool:
    """Measure and print the figures; return whether every goal is met."""
    url = bench_url()
    options = settings_from_env()
    runs = options["runs"]
    with copy_of(url, "dashboard") as large_database, fresh_database(url, "dashboard_small") as small_database:
        manage(small_database, "migrate", "--noinput")
        manage(
            small_database, "generate_scale_data", f"--subjects={options['small_subjects']}",
            f"--consents={options['small_consents']}", f"--purposes={options['purposes']}",
        )
        for database, requests in ((small_database, 10), (large_database, options["requests"])):
            _seed_demo(database)
            _child(database, "--prepare", str(requests))
            vacuum_analyze(database)
        rounds = [(_child(small_database, "--measure", str(runs)), _child(large_database, "--measure", str(runs))) for _ in range(ROUNDS)]
    small, large = _pooled([pair[0] for pair in rounds]), _pooled([pair[1] for pair in rounds])

    ratio = large["dashboard"]["ms"] / large["trivial"]["ms"]
    same_queries = large["dashboard"]["queries"] == small["dashboard"]["queries"]
    print(f"dashboard: median of {ROUNDS} rounds × {runs} runs, each after {WARM_UPS} warm-ups, server time in the process, a signed-in manager")
    print(f"  {large['subjects']:,} subjects, {large['events']:,} consent events, {large['requests']:,} rights requests")
    print("  " + _line("baseline  /accounts/security/", large["trivial"]))
    print("  " + _line("          /dashboard/", large["dashboard"]))
    print(f"  ratio     {ratio:.2f} (goal ≤ {TIME_GOAL:.1f}) {'met' if ratio <= TIME_GOAL else 'MISSED'}")
    print(
        f"  queries   {large['dashboard']['queries']} at this size, {small['dashboard']['queries']} at "
        f"{small['subjects']:,} subjects, {small['events']:,} events, {small['requests']:,} requests: "
        f"{'the same' if same_queries else 'DIFFERENT'}"
    )
    print(
        f"  the beat task's refresh of the summary (not per request): {large['refresh_ms']:.0f} ms at this size, "
        f"{small['refresh_ms']:.0f} ms small"
    )
    return ratio <= TIME_GOAL and same_queries


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))))
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare(int(sys.argv[2]))))
        return 0
    try:
        return 0 if run() else 1
    except Skipped as reason:
        print(f"dashboard: skipped, {reason}.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
