"""Concurrent writers never fork the chain: 8 writers × 500 events, walked meanwhile and after."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.compliance.audit.chain import only_on_postgresql
from tests.compliance.audit.concurrent_writers import outcome, write_concurrently

WRITERS, EVENTS_EACH = 8, 500
TOTAL = WRITERS * EVENTS_EACH
EXPECTED_PER_WRITER = {f"writer-{number}": EVENTS_EACH for number in range(WRITERS)}


def _assert_linear(result: dict) -> None:
    assert result["errors"] == []
    assert result["intact"], result["problem"]
    assert result["event_count"] == result["events"] == TOTAL
    assert result["distinct_prev_hashes"] == TOTAL
    assert result["per_writer"] == EXPECTED_PER_WRITER


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_keep_one_chain():
    only_on_postgresql()

    errors = write_concurrently(writers=WRITERS, events_each=EVENTS_EACH, verify_meanwhile=True)

    _assert_linear(outcome(errors))


def _manage(*args: str, var_dir: Path) -> subprocess.CompletedProcess:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ENV"}
    }
    environment["CUSTOS_VAR_DIR"] = str(var_dir)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_concurrent_writers_on_an_embedded_sqlite_file_keep_one_chain(tmp_path):
    # The embedded profile as it runs: a file database in WAL mode with IMMEDIATE
    # transactions, in its own process, since the in-memory test database cannot show it.
    migrated = _manage("migrate", "--verbosity", "0", var_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr

    written = _manage(
        "shell",
        "-c",
        f"from tests.compliance.audit.concurrent_writers import main; main({WRITERS}, {EVENTS_EACH})",
        var_dir=tmp_path,
    )
    assert written.returncode == 0, written.stderr
    _assert_linear(json.loads(written.stdout.strip().splitlines()[-1]))

    verified = _manage("verify_audit_chain", var_dir=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"Audit chain intact: {TOTAL} events, head #{TOTAL} sha256 ")
