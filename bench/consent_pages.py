"""Benchmark: the subject list and the purpose pages a manager opens, as the consent tables grow.

    python bench/consent_pages.py            (after bench/run.py has seeded the database)

Server time of each page for a signed-in DPO (Django's test client in the
process: the view, its queries and the template, no network), median of
BENCH_PAGE_RUNS after three warm-up requests, with the page's query count:

* subject list: the page at 90% of the list (its keyset cursor built
  beforehand, untimed) against page 1 in the same database. Goal ≤ 2×.
* purposes list and one purpose's page: on a copy of the seeded database
  (BENCH_SEED_CONSENTS events) against a database seeded the same way with
  BENCH_PAGES_SMALL_SUBJECTS subjects and BENCH_PAGES_SMALL_CONSENTS events,
  measured in the same run. Goal ≤ 1.5× (constant in the size of the tables,
  with room for a shared machine's noise), and the same number of queries.

The two databases are measured in three alternating rounds, each page's runs
pooled. For reference (not a goal) it also times, alone, the queries these
pages ran before keyset paging and maintained counts.
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

DEPTH_GOAL = 2.0
SIZE_GOAL = 1.5
DEPTH = 0.9
WARM_UPS = 3
ROUNDS = 3
PAGES = ("subjects_first", "subjects_deep", "purposes", "purpose")


def settings_from_env() -> dict[str, int]:
    return {
        "runs": int(os.environ.get("BENCH_PAGE_RUNS", 5)),
        "purposes": int(os.environ.get("BENCH_PURPOSES", 5)),
        "small_subjects": int(os.environ.get("BENCH_PAGES_SMALL_SUBJECTS", 1_000)),
        "small_consents": int(os.environ.get("BENCH_PAGES_SMALL_CONSENTS", 10_000)),
    }


# --- the measurement, in a process of its own ------------------------------------------------------------


def _signed_in_dpo():
    """Return a test client signed in as a DPO who has passed MFA (a user made for the benchmark)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from compliance.accounts import otp
    from compliance.accounts.models import TOTPDevice
    from compliance.accounts.roles import Role
    from compliance.accounts.services import create_user
    from compliance.audit.actors import SystemActor

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="bench-dpo").first() or create_user(
        actor=SystemActor("benchmark"), username="bench-dpo", email="bench-dpo@example.org", first_name="Bench", last_name="DPO",
        roles=[Role.DPO], access_expires_on=None, password="not used: the client signs in directly",
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

    # Counted by a wrapper: each request empties the connection's query log, so the log cannot count a request.
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


def _time_queries(run, runs: int) -> float:
    run()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def replaced_queries(runs: int, depth: int) -> dict:
    """Time, alone, the queries these pages ran before keyset paging and maintained counts (for reference, not a goal)."""
    from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    from consent.models import ConsentState, ConsentStatus, DataSubject, PrivacyNotice, Purpose

    granted = (
        ConsentState.objects.filter(status=ConsentStatus.GRANTED, subject=OuterRef("pk")).order_by().values("subject")
        .annotate(total=Count("pk")).values("total")
    )
    listed = DataSubject.objects.annotate(granted_count=Coalesce(Subquery(granted, output_field=IntegerField()), Value(0))).order_by(
        "-created_at", "external_id"
    )
    purpose = Purpose.objects.order_by("name", "code").first()

    def coverage():
        list(
            ConsentState.objects.order_by().values("purpose").annotate(
                granted=Count("pk", filter=Q(status=ConsentStatus.GRANTED)), total=Count("pk")
            )
        )
        DataSubject.objects.count()

    return {
        "subjects_first": _time_queries(lambda: (list(listed[:50]), listed.count()), runs),
        "subjects_deep": _time_queries(lambda: (list(listed[depth : depth + 50]), listed.count()), runs),
        "purposes": _time_queries(coverage, runs),
        "purpose": _time_queries(
            lambda: list(PrivacyNotice.objects.filter(purpose=purpose).annotate(event_count=Count("consent_events"))), runs
        ),
    }


def measure(runs: int) -> dict:
    """Time the pages on the database of DATABASE_URL."""
    import django

    django.setup()
    from django.urls import reverse

    from consent import paging
    from consent.models import ConsentEvent, DataSubject, Purpose
    from consent.selectors import subject_count

    client = _signed_in_dpo()
    subjects = subject_count()
    depth = max(int(subjects * DEPTH), 1)
    # Built beforehand (an OFFSET query, untimed): the cursor a reader following "Next" would hold at 90%.
    created_at, external_id = DataSubject.objects.order_by(*paging.ORDER).values_list("created_at", "external_id")[depth - 1]
    cursor = paging.encode_cursor(direction=paging.NEXT, created_at=created_at, external_id=external_id)
    subject_list = reverse("consent:subject_search")
    purpose = Purpose.objects.order_by("name", "code").first()
    return {
        "subjects": subjects,
        "events": ConsentEvent.objects.count(),
        "depth": depth,
        "subjects_first": _time(client, subject_list, runs),
        "subjects_deep": _time(client, f"{subject_list}?cursor={cursor}", runs),
        "purposes": _time(client, reverse("consent:purpose_list"), runs),
        "purpose": _time(client, reverse("consent:purpose_detail", args=[purpose.code]), runs),
        "before": replaced_queries(runs, depth),
    }


def _child(url: str, runs: int) -> dict:
    result = subprocess.run([PYTHON, __file__, "--measure", str(runs)], env=django_env(url), capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"the measurement failed:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the benchmark -----------------------------------------------------------------------------------------


def _pooled(results: list[dict]) -> dict:
    """Merge the rounds of one database: every page's runs together, their median, the first round's query count."""
    merged = dict(results[0])
    for page in PAGES:
        runs = [ms for result in results for ms in result[page]["all_ms"]]
        merged[page] = {"ms": statistics.median(runs), "all_ms": runs, "queries": results[0][page]["queries"]}
    merged["before"] = {page: statistics.median(result["before"][page] for result in results) for page in PAGES}
    return merged


def _line(label: str, figure: dict) -> str:
    runs = figure["all_ms"]
    return f"{label:<44} {figure['ms']:>8.1f} ms  {figure['queries']:>3} queries  ({len(runs)} runs, {min(runs):.1f}–{max(runs):.1f} ms)"


def run() -> bool:
    """Measure and print the figures; return whether every goal is met."""
    url = bench_url()
    options = settings_from_env()
    runs = options["runs"]
    with copy_of(url, "pages") as large_database, fresh_database(url, "pages_small") as small_database:
        manage(small_database, "migrate", "--noinput")
        manage(
            small_database, "generate_scale_data", f"--subjects={options['small_subjects']}",
            f"--consents={options['small_consents']}", f"--purposes={options['purposes']}",
        )
        vacuum_analyze(small_database)
        # Alternating rounds, so a burst of other work on the machine falls on both sizes alike.
        rounds = [(_child(small_database, runs), _child(large_database, runs)) for _ in range(ROUNDS)]
    small, large = _pooled([pair[0] for pair in rounds]), _pooled([pair[1] for pair in rounds])

    depth = large["subjects_deep"]["ms"] / large["subjects_first"]["ms"]
    ratios = {page: large[page]["ms"] / small[page]["ms"] for page in ("purposes", "purpose")}
    same_queries = all(large[page]["queries"] == small[page]["queries"] for page in ("purposes", "purpose"))
    print(f"consent_pages: median of {ROUNDS} rounds × {runs} runs, each after {WARM_UPS} warm-ups, server time in the process, a signed-in DPO")
    print(f"  subject list on {large['subjects']:,} subjects, {large['events']:,} events")
    print("  " + _line("baseline  page 1", large["subjects_first"]))
    print("  " + _line(f"page at 90% depth (after row {large['depth']:,})", large["subjects_deep"]))
    print(f"  ratio     {depth:.2f} (goal ≤ {DEPTH_GOAL:.1f}) {'met' if depth <= DEPTH_GOAL else 'MISSED'}")
    for page, label in (("purposes", "purposes list"), ("purpose", "a purpose's page")):
        print(f"  {label}")
        print("  " + _line(f"baseline  {small['subjects']:,} subjects, {small['events']:,} events", small[page]))
        print("  " + _line(f"          {large['subjects']:,} subjects, {large['events']:,} events", large[page]))
        ratio = ratios[page]
        print(f"  ratio     {ratio:.2f} (goal ≤ {SIZE_GOAL:.1f}) {'met' if ratio <= SIZE_GOAL else 'MISSED'}")
    print(f"  queries   {'the same' if same_queries else 'DIFFERENT'} at both sizes")
    before = large["before"]
    print(
        f"  for reference, the queries these pages ran before, alone, on the large database: subject list page 1 "
        f"{before['subjects_first']:.1f} ms, at 90% {before['subjects_deep']:.1f} ms; purposes list {before['purposes']:.1f} ms "
        f"(small: {small['before']['purposes']:.1f} ms); a purpose's notices {before['purpose']:.1f} ms (small: {small['before']['purpose']:.1f} ms)"
    )
    return depth <= DEPTH_GOAL and all(ratio <= SIZE_GOAL for ratio in ratios.values()) and same_queries


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))))
        return 0
    try:
        return 0 if run() else 1
    except Skipped as reason:
        print(f"consent_pages: skipped, {reason}.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
