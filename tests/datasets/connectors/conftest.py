"""Real stores for the connector tests: a throwaway PostgreSQL and MariaDB database per session, Redis db 9, files in tmp_path.

Locations are built through the registry's own validation (``clean_location``)
and not saved: the connectors only read their settings.
"""

import secrets

import pymysql
import psycopg
import pytest
import redis
import sqlalchemy as sa

from datasets.connectors import sql
from datasets.locations import LocationInput, clean_location
from datasets.models import StorageLocation
from tests.services import require

REDIS_DB = 9


def make_location(**values) -> StorageLocation:
    """Return an unsaved location validated as the registry validates one."""
    cleaned = clean_location(LocationInput(**{"name": "test store", **values}))
    return StorageLocation(connection=cleaned.connection, **cleaned.fields)


@pytest.fixture(autouse=True)
def fresh_engines():
    """Each test starts and ends without cached engines (none is left open on a dropped database)."""
    sql.engines.clear()
    yield
    sql.engines.clear()


@pytest.fixture(scope="session")
def postgresql_url():
    """The URL of a database created for this session on the local PostgreSQL, dropped at the end."""
    require("postgresql")
    name = f"custos_conn_{secrets.token_hex(4)}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    sql.engines.clear()
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mariadb_admin():
    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)


@pytest.fixture(scope="session")
def mariadb_url():
    """The URL of a database created for this session on the local MariaDB, dropped at the end."""
    require("mariadb")
    name = f"custos_conn_{secrets.token_hex(4)}"
    with mariadb_admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    yield f"mysql://root@127.0.0.1:3306/{name}"
    sql.engines.clear()
    with mariadb_admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def redis_client():
    """A client on Redis db 9; the test's keys start with ``key_prefix`` and are deleted afterwards."""
    require("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, decode_responses=True)
    client.key_prefix = f"custos-test:{secrets.token_hex(4)}:"
    yield client
    for key in client.scan_iter(match=f"{client.key_prefix}*"):
        client.delete(key)
    client.close()


def closed_port() -> int:
    """Return a local TCP port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sql_rows(engine: sa.Engine, table: str) -> list[tuple]:
    """Return every row of ``table`` ordered by id."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
