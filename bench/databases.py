"""The benchmarks' PostgreSQL databases: the seeded one, and throwaway copies of it for each measurement.

Every measurement starts from the same state: a copy of the seeded database
(``CREATE DATABASE … TEMPLATE``), dropped afterwards. Only databases whose
names start with the benchmark database's own name are ever created or dropped.
"""

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/custos_bench"


class Skipped(Exception):
    """The benchmarks cannot run here; the message says why."""


def bench_url() -> str:
    """Return the seeded database's URL: BENCH_DATABASE_URL, else custos_bench on 127.0.0.1."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        raise Skipped(f"the benchmarks measure PostgreSQL, and BENCH_DATABASE_URL is {urlsplit(url).scheme}://…")
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2).close()
    except OSError:
        raise Skipped(f"PostgreSQL does not answer on {parts.hostname}:{parts.port or 5432}") from None
    return url


def with_database(url: str, name: str) -> str:
    """Return ``url`` naming database ``name`` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _admin(url: str):
    return psycopg.connect(with_database(url, "postgres").replace("postgres://", "postgresql://", 1), autocommit=True)


def recreate(url: str) -> None:
    """Drop and create the database ``url`` names (a benchmark database only)."""
    with _admin(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))


@contextmanager
def copy_of(url: str, suffix: str):
    """Yield the URL of a fresh copy of the database ``url`` names; drop the copy afterwards."""
    name = f"{database_name(url)}_{suffix}"
    with _admin(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(database_name(url))))
    try:
        yield with_database(url, name)
    finally:
        with _admin(url) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def fresh_database(url: str, suffix: str):
    """Yield the URL of a new, empty database named after the benchmark database; drop it afterwards."""
    fresh = with_database(url, f"{database_name(url)}_{suffix}")
    recreate(fresh)
    try:
        yield fresh
    finally:
        with _admin(url) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(fresh))))


def django_env(url: str, **extra: str) -> dict[str, str]:
    """Return the environment for a Custos process on database ``url``."""
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "compliance.settings", "PYTHONPATH": str(ROOT), **extra}


def manage(url: str, *arguments: str) -> str:
    """Run ``manage.py`` on database ``url`` and return its output (raise with it if the command fails)."""
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *arguments], env=django_env(url), cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def vacuum_analyze(url: str) -> None:
    """Bring the planner's statistics up to date, as autovacuum would in time."""
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
