"""``make bench``: seed the benchmark database, then run every benchmark and print its figures.

PostgreSQL only (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/custos_bench):
without it each benchmark says why it is skipped. The database is dropped,
created, migrated and seeded with ``generate_scale_data`` (BENCH_SUBJECTS
subjects, BENCH_SEED_CONSENTS consents over BENCH_PURPOSES purposes) at
every run, so the figures of two runs start from the same data. Exit status
1 when a benchmark misses its goal. See bench/README.md.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import consent_check, consent_import, consent_pages, dashboard, erasure, report, training  # noqa: E402
from bench.databases import Skipped, bench_url, manage, recreate, vacuum_analyze  # noqa: E402

BENCHMARKS = (consent_import, consent_check, consent_pages, dashboard, erasure, report, training)


def seed(url: str) -> None:
    """Drop, create, migrate and seed the benchmark database."""
    subjects = os.environ.get("BENCH_SUBJECTS", "100000")
    consents = os.environ.get("BENCH_SEED_CONSENTS", "1000000")
    purposes = os.environ.get("BENCH_PURPOSES", "5")
    started = time.monotonic()
    recreate(url)
    manage(url, "migrate", "--noinput")
    print(manage(url, "generate_scale_data", f"--subjects={subjects}", f"--consents={consents}", f"--purposes={purposes}").strip())
    vacuum_analyze(url)
    print(f"Seeded {url.rsplit('/', 1)[-1]} in {time.monotonic() - started:.0f} s.")


def main() -> int:
    try:
        url = bench_url()
    except Skipped as reason:
        print(f"Benchmarks skipped: {reason}.")
        return 0
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    chosen = [benchmark for benchmark in BENCHMARKS if not only or benchmark.__name__.rsplit(".", 1)[-1] in only]
    seed(url)
    missed = [benchmark.__name__.rsplit(".", 1)[-1] for benchmark in chosen if not benchmark.run()]
    if missed:
        print(f"Goals missed: {', '.join(missed)}.")
        return 1
    print("Every goal met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
