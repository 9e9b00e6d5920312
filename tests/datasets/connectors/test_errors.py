"""Classifying what the drivers raise: retry (TransientError) or a person must act (PermanentError).

The real failures each store can produce on this machine are tested in the
store's own module; these cover the ones the local servers cannot be made to
produce (PostgreSQL trusts local connections, so it never refuses a password).
"""

import errno
import sqlite3

import psycopg
import pymysql
import pytest
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_exc

from datasets.connectors import PermanentError, TransientError
from datasets.connectors.errors import os_error
from datasets.connectors.redis_store import classify_redis_error
from datasets.connectors.sql import SqlTarget, classify_sql_error

POSTGRESQL = SqlTarget(
    kind="postgresql", database="shop", table="customers", user="app", address="db:5432", has_password=True, password="Pa55-secret"
)
MYSQL = SqlTarget(kind="mysql", database="shop", table="customers", user="app", address="db:3306", has_password=True, password="Pa55-secret")
SQLITE = SqlTarget(kind="sqlite", database="/stores/shop.db", table="customers")


def wrapped(original: Exception, kind=sa_exc.OperationalError) -> sa_exc.DBAPIError:
    return kind("SELECT 1", {}, original)


@pytest.mark.parametrize(
    ("original", "kind", "message"),
    [
        (
            psycopg.OperationalError('connection failed: connection to server at "db", port 5432 failed: FATAL:  password authentication failed for user "app"'),
            PermanentError,
            "The password for user app was refused by the database.",
        ),
        (
            psycopg.OperationalError('connection failed: FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "app", database "shop"'),
            PermanentError,
            "The database does not let user app connect from Custos's host.",
        ),
        (psycopg.errors.UndefinedTable('relation "customers" does not exist'), PermanentError, "Table customers does not exist in database shop."),
        (
            psycopg.errors.InsufficientPrivilege("permission denied for table customers"),
            PermanentError,
            "User app may not change table customers in database shop: permission denied.",
        ),
        (
            psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
            TransientError,
            "Rows of table customers are locked by another transaction; Custos will try again.",
        ),
        (
            psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
            TransientError,
            "Database shop is busy or restarting (terminating connection due to administrator command); Custos will try again.",
        ),
        (
            psycopg.OperationalError("connection failed: timeout expired"),
            TransientError,
            "The database server at db:5432 did not answer (connection refused or timed out); Custos will try again.",
        ),
    ],
)
def test_postgresql_errors(original, kind, message):
    classified = classify_sql_error(wrapped(original), POSTGRESQL)

    assert (type(classified), classified.message) == (kind, message)


@pytest.mark.parametrize(
    ("original", "kind", "message"),
    [
        (pymysql.err.OperationalError(1205, "Lock wait timeout exceeded"), TransientError, "Rows of table customers are locked by another transaction; Custos will try again."),
        (pymysql.err.OperationalError(1213, "Deadlock found"), TransientError, "Rows of table customers are locked by another transaction; Custos will try again."),
        (
            pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query"),
            TransientError,
            "Database shop is busy or the connection was lost (Lost connection to MySQL server during query); Custos will try again.",
        ),
        (pymysql.err.ProgrammingError(1146, "Table 'shop.customers' doesn't exist"), PermanentError, "Table customers does not exist in database shop."),
        (
            pymysql.err.OperationalError(1142, "DELETE command denied to user 'app'"),
            PermanentError,
            "User app may not change table customers in database shop: permission denied.",
        ),
    ],
)
def test_mysql_errors(original, kind, message):
    classified = classify_sql_error(wrapped(original), MYSQL)

    assert (type(classified), classified.message) == (kind, message)


def test_an_unknown_driver_message_is_passed_on_without_the_password():
    original = pymysql.err.InternalError(1105, "Something odd about Pa55-secret\nsecond line")

    classified = classify_sql_error(wrapped(original, sa_exc.InternalError), MYSQL)

    assert isinstance(classified, PermanentError)
    assert classified.message == "Database shop refused the erasure: Something odd about ***"


@pytest.mark.parametrize(
    ("message", "kind", "expected"),
    [
        ("database is locked", TransientError, "The SQLite database /stores/shop.db is locked by another writer; Custos will try again."),
        ("attempt to write a readonly database", PermanentError, "The SQLite database /stores/shop.db is read-only for Custos."),
        ("unable to open database file", PermanentError, "The SQLite database /stores/shop.db cannot be opened."),
    ],
)
def test_sqlite_errors(message, kind, expected):
    classified = classify_sql_error(wrapped(sqlite3.OperationalError(message)), SQLITE)

    assert (type(classified), classified.message) == (kind, expected)


def test_a_pool_with_no_free_connection_is_transient():
    classified = classify_sql_error(sa_exc.TimeoutError("QueuePool limit reached"), POSTGRESQL)

    assert (type(classified), classified.message) == (TransientError, "No connection to database shop was free in time; Custos will try again.")


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (redis_errors.AuthenticationError("invalid username-password pair"), PermanentError, "The password for user app was refused by the Redis server at cache:6379."),
        (redis_errors.ResponseError("NOAUTH Authentication required."), PermanentError, "The Redis server at cache:6379 needs a password: add it to the URL."),
        (redis_errors.BusyLoadingError("LOADING Redis is loading the dataset in memory"), TransientError, "The Redis server at cache:6379 is busy or loading; Custos will try again."),
        (redis_errors.TimeoutError("Timeout reading from socket"), TransientError, "The Redis server at cache:6379 did not answer (connection refused or timed out); Custos will try again."),
        (redis_errors.ReadOnlyError("READONLY You can't write against a read only replica."), TransientError, "The Redis server at cache:6379 is a read-only replica just now; Custos will try again."),
    ],
)
def test_redis_errors(error, kind, message):
    classified = classify_redis_error(error, address="cache:6379", user="app")

    assert (type(classified), classified.message) == (kind, message)


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), PermanentError, "Custos may not use /stores/a.csv: permission denied."),
        (FileNotFoundError(errno.ENOENT, "No such file"), PermanentError, "/stores/a.csv does not exist."),
        (OSError(errno.EROFS, "Read-only file system"), PermanentError, "/stores/a.csv is on a read-only file system."),
        (OSError(errno.ESTALE, "Stale file handle"), TransientError, "/stores/a.csv: stale file handle; Custos will try again."),
        (OSError(errno.EIO, "Input/output error"), PermanentError, "/stores/a.csv: input/output error."),
    ],
)
def test_os_errors(error, kind, message):
    classified = os_error(error, what="/stores/a.csv")

    assert (type(classified), classified.message) == (kind, message)
