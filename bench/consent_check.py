"""Benchmark: GET /api/v1/consents/check against a no-database authenticated endpoint, in the same server.

    python bench/consent_check.py            (after bench/run.py has seeded the database)

One gunicorn server (gthread workers, keep-alive) on 127.0.0.1 serves both:
the baseline is GET /api/v1/me/ with the same API key (authenticated,
throttled, no query: the key comes from the cache), the measured endpoint
the consent check (one query) for subjects and purposes of the seeded data.
A Python load generator sends a bounded number of requests over
BENCH_CONNECTIONS keep-alive connections, one process each, to 127.0.0.1
only. The endpoints take turns (baseline, check, baseline, check) after a
warm-up, and each rate is the mean of its turns.

Goal: check requests/s ≥ 0.50 × baseline requests/s.
"""

import http.client
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import ROOT, Skipped, bench_url, copy_of, django_env, manage  # noqa: E402

GOAL = 0.50
BASELINE = "/api/v1/me/"
REDIS = ("127.0.0.1", 6379)


def settings_from_env() -> dict[str, int]:
    return {
        "requests": int(os.environ.get("BENCH_REQUESTS", 20_000)),
        "connections": int(os.environ.get("BENCH_CONNECTIONS", 4)),
        "workers": int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)),
        "subjects": int(os.environ.get("BENCH_SUBJECTS", 100_000)),
        "purposes": int(os.environ.get("BENCH_PURPOSES", 5)),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=1).close()
        return True
    except OSError:
        return False


def _send(arguments: tuple[int, str, list[str]]) -> tuple[int, str]:
    """Send each path in turn over one keep-alive connection; return the failures and the first one."""
    port, key, paths = arguments
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}"}
    failures, first = 0, ""
    for path in paths:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            failures += 1
            first = first or f"{response.status} {path}: {body[:200]!r}"
    connection.close()
    return failures, first


def _rate(pool, port: int, key: str, paths: list[str], connections: int) -> float:
    shares = [(port, key, paths[number::connections]) for number in range(connections)]
    started = time.perf_counter()
    results = pool.map(_send, shares)
    elapsed = time.perf_counter() - started
    failures = sum(count for count, _ in results)
    if failures:
        raise RuntimeError(f"{failures} requests failed, the first: {next(first for _, first in results if first)}")
    return len(paths) / elapsed


def _check_paths(count: int, subjects: int, purposes: int) -> list[str]:
    rng = random.Random(7)
    return [
        f"/api/v1/consents/check?subject=scale-subject-{rng.randrange(subjects):08d}&purpose=scale-purpose-{rng.randrange(purposes)}"
        for _ in range(count)
    ]


def _start_server(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    extra = {"API_KEY_RATE": "1000000000/min", "DJANGO_DEBUG": "false"}
    if _answers(REDIS):
        # The services profile's shared cache (throttle counts, cached keys), a database of its own.
        extra["CACHE_URL"] = "redis://127.0.0.1:6379/14"
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "compliance.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread", "--threads", "8",
        "--keep-alive", "30", "--log-level", "warning",
    ]
    return subprocess.Popen(command, env=django_env(url, **extra), cwd=ROOT)


def _wait_for(port: int, key: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited before it answered")
        try:
            if _send((port, key, [BASELINE]))[0] == 0:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer within 60 s")


def run() -> bool:
    """Measure and print the figures; return whether the goal is met."""
    url = bench_url()
    options = settings_from_env()
    requests, connections = options["requests"], options["connections"]
    with copy_of(url, "check") as database:
        key = manage(database, "create_api_key", "--name", "consent check benchmark", "--scopes", "consent:read").strip().splitlines()[-1]
        port = _free_port()
        server = _start_server(database, port, options["workers"], connections)
        try:
            _wait_for(port, key, server)
            check_paths = _check_paths(requests, options["subjects"], options["purposes"])
            baseline_paths = [BASELINE] * requests
            with multiprocessing.get_context("fork").Pool(connections) as pool:
                _rate(pool, port, key, baseline_paths[: requests // 10], connections)
                _rate(pool, port, key, check_paths[: requests // 10], connections)
                baseline_rates, check_rates = [], []
                for _ in range(2):
                    baseline_rates.append(_rate(pool, port, key, baseline_paths, connections))
                    check_rates.append(_rate(pool, port, key, check_paths, connections))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    baseline = sum(baseline_rates) / len(baseline_rates)
    check = sum(check_rates) / len(check_rates)
    ratio = check / baseline
    print(
        f"consent_check: {requests:,} requests per turn over {connections} keep-alive connections, "
        f"gunicorn {options['workers']} gthread workers on 127.0.0.1"
    )
    print(f"  baseline  GET {BASELINE} (authenticated, no query): {baseline:>8,.0f} requests/s  ({', '.join(f'{rate:,.0f}' for rate in baseline_rates)})")
    print(f"  check     GET /api/v1/consents/check (one query):  {check:>8,.0f} requests/s  ({', '.join(f'{rate:,.0f}' for rate in check_rates)})")
    print(f"  ratio     {ratio:.2f} (goal ≥ {GOAL:.2f}) {'met' if ratio >= GOAL else 'MISSED'}")
    return ratio >= GOAL


def main() -> int:
    try:
        return 0 if run() else 1
    except Skipped as reason:
        print(f"consent_check: skipped, {reason}.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
