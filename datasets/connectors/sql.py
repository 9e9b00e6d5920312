"""Relational stores through SQLAlchemy Core: PostgreSQL, MySQL / MariaDB and SQLite.

The table is reflected on every call, so the subject field and the fields to
blank are checked against the columns the table has now (a missing one is a
PermanentError naming it); the subject's identifier is always a bound
parameter. One erasure is one transaction: the affected rows are locked and
their primary keys read (for the evidence digest), then deleted or blanked,
and the table counted before and after.

Engines are cached per connection URL (a small LRU, disposed on eviction and
never shared across a fork), with pre-ping, a short connect timeout and a
lock timeout, so a store that is down or busy fails fast as a TransientError.
"""

import os
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from django.core.exceptions import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from datasets.connectors.base import (
    Connector,
    Erased,
    Exported,
    Found,
    SubjectKeys,
    checked_mode,
    json_safe,
    keys_digest,
)
from datasets.connectors.errors import ConnectorError, PermanentError, TransientError, os_error
from datasets.locations import path_under_roots, sqlalchemy_url
from datasets.models import ErasureMode, LocationKind

CONNECT_TIMEOUT_SECONDS = 5
LOCK_TIMEOUT_SECONDS = 10
# Long enough for a large delete; a server that stops answering mid-statement is then a TransientError.
READ_TIMEOUT_SECONDS = 300
ENGINE_CACHE_SIZE = 8
INTEGER = re.compile(r"^[+-]?\d{1,19}$")

# PostgreSQL SQLSTATEs and MySQL error numbers a retry can fix: locks, deadlocks, shutdowns, lost connections.
POSTGRESQL_TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "53300", "53400"})
POSTGRESQL_TRANSIENT_CLASSES = ("08",)
MYSQL_TRANSIENT_CODES = frozenset({1040, 1053, 1205, 1213, 2002, 2003, 2006, 2013, 2055, 1927, 3024})
POSTGRESQL_TRANSIENT_WORDS = ("connection refused", "timeout expired", "server closed the connection", "could not connect", "connection timed out", "the database system is")


@dataclass(frozen=True)
class SqlTarget:
    """What error messages may name about a relational location: never its password."""

    kind: str
    database: str
    table: str
    user: str = ""
    address: str = ""
    has_password: bool = False
    password: str = ""

    def scrub(self, text: str) -> str:
        """Return the first line of a driver's message with the password, should it appear, replaced by ***."""
        line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
        return line.replace(self.password, "***") if self.password else line


class EngineCache:
    """A small LRU of SQLAlchemy engines by connection URL; evicted engines are disposed.

    Engines (their pooled sockets) must not cross a fork, so a new process
    starts with an empty cache and leaves the parent's connections alone.
    """

    def __init__(self, size: int = ENGINE_CACHE_SIZE):
        self.size = size
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def get(self, key: str, build: Callable[[], Engine]) -> Engine:
        """Return the engine cached for ``key``, building (and caching) it with ``build`` when absent."""
        with self._lock:
            if self._pid != os.getpid():
                for engine in self._engines.values():
                    engine.dispose(close=False)
                self._engines.clear()
                self._pid = os.getpid()
            engine = self._engines.pop(key, None)
            if engine is None:
                engine = build()
            self._engines[key] = engine
            while len(self._engines) > self.size:
                _, evicted = self._engines.popitem(last=False)
                evicted.dispose()
            return engine

    def clear(self) -> None:
        """Dispose of every cached engine."""
        with self._lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def __len__(self) -> int:
        return len(self._engines)


engines = EngineCache()


class SqlConnector(Connector):
    """PostgreSQL, MySQL / MariaDB and SQLite locations: a table with the subject's identifier in one column."""

    def discover(self, location, keys: SubjectKeys) -> Found:
        value = keys.for_location(location)
        engine, target = self._engine(location)
        with _translated(target), engine.connect() as connection:
            table, is_subject, bound = _subject_column(connection, location, target, value)
            if bound is _NO_MATCH:
                return Found(records=0, detail={"table": target.table})
            count = connection.scalar(sa.select(sa.func.count()).select_from(table).where(is_subject))
        return Found(records=int(count), detail={"table": target.table})

    def erase(self, location, keys: SubjectKeys, mode: str) -> Erased:
        mode = checked_mode(location, mode)
        value = keys.for_location(location)
        engine, target = self._engine(location)
        with _translated(target), engine.connect() as connection:
            _begin_write(connection, location.kind)
            table, is_subject, bound = _subject_column(connection, location, target, value)
            column = table.c[location.subject_field]
            if mode == ErasureMode.ANONYMISE:
                fields = _anonymisable(table, location.anonymise_fields, target)
                not_blank = sa.or_(*(table.c[name].is_not(None) for name in fields))
                condition = sa.and_(is_subject, not_blank)
                change = sa.update(table).values({name: None for name in fields})
            else:
                fields = [c.name for c in table.columns]
                condition = is_subject
                change = sa.delete(table)
            rows_before = connection.scalar(sa.select(sa.func.count()).select_from(table))
            affected_keys: list[str] = []
            affected = 0
            if bound is not _NO_MATCH:
                selection = sa.select(*_key_columns(table, column)).where(condition)
                if location.kind != LocationKind.SQLITE:
                    selection = selection.with_for_update()
                affected_keys = [_row_key(row) for row in connection.execute(selection)]
                affected = connection.execute(change.where(condition)).rowcount if affected_keys else 0
            rows_after = connection.scalar(sa.select(sa.func.count()).select_from(table))
            connection.commit()
        return Erased(
            records_affected=affected,
            fields=fields,
            keys_sha256=keys_digest(affected_keys),
            rows_before=int(rows_before),
            rows_after=int(rows_after),
            detail={"table": target.table, "mode": mode, "key_columns": [c.name for c in _key_columns(table, column)]},
        )

    def export(self, location, keys: SubjectKeys) -> Exported:
        value = keys.for_location(location)
        engine, target = self._engine(location)
        with _translated(target), engine.connect() as connection:
            table, is_subject, bound = _subject_column(connection, location, target, value)
            fields = [c.name for c in table.columns]
            if bound is _NO_MATCH:
                return Exported(records=[], fields=fields)
            rows = connection.execute(sa.select(table).where(is_subject))
            records = [{name: json_safe(row._mapping[name]) for name in fields} for row in rows]
        return Exported(records=records, fields=fields)

    def _engine(self, location) -> tuple[Engine, SqlTarget]:
        if location.kind == LocationKind.SQLITE:
            path = _sqlite_path(location)
            target = SqlTarget(kind=location.kind, database=str(path), table=location.table)
            return engines.get(f"sqlite:{path}", lambda: _sqlite_engine(path)), target
        if location.kind not in (LocationKind.POSTGRESQL, LocationKind.MYSQL):
            raise PermanentError(f"A {location.kind} location is not a relational database.")
        try:
            url = make_url(sqlalchemy_url(location))
        except (ValueError, KeyError, TypeError, sa_exc.ArgumentError):
            raise PermanentError(f"The connection URL of location {location.name!r} cannot be read: enter it again.") from None
        target = SqlTarget(
            kind=location.kind,
            database=url.database or "",
            table=location.table,
            user=url.username or "",
            address=f"{url.host}:{url.port}" if url.port else str(url.host),
            has_password=bool(url.password),
            password=str(url.password or ""),
        )
        key = url.render_as_string(hide_password=False)
        return engines.get(key, lambda: _server_engine(url, location.kind)), target


# --- Engines --------------------------------------------------------------------------------


def _server_engine(url: URL, kind: str) -> Engine:
    if kind == LocationKind.POSTGRESQL:
        connect_args: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "options": f"-c lock_timeout={LOCK_TIMEOUT_SECONDS * 1000}",
        }
    else:
        connect_args = {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "read_timeout": READ_TIMEOUT_SECONDS,
            "write_timeout": READ_TIMEOUT_SECONDS,
            "init_command": f"SET SESSION innodb_lock_wait_timeout = {LOCK_TIMEOUT_SECONDS}",
        }
    return sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4, pool_timeout=LOCK_TIMEOUT_SECONDS, connect_args=connect_args)


def _sqlite_path(location) -> Path:
    try:
        path = path_under_roots(location.path)
    except ValidationError as error:
        raise PermanentError(error.messages[0]) from None
    if not path.is_file():
        raise PermanentError(f"The SQLite database {path} does not exist." if not path.exists() else f"{path} is not a file.")
    return path


def _sqlite_engine(path: Path) -> Engine:
    # mode=rw: a database that vanished is an error, not a new empty file. isolation_level=None
    # leaves transactions to us, so an erasure can BEGIN IMMEDIATE and hold the write lock throughout.
    def connect() -> sqlite3.Connection:
        return sqlite3.connect(
            f"file:{quote(str(path))}?mode=rw", uri=True, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )

    return sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)


def _begin_write(connection: Connection, kind: str) -> None:
    if kind == LocationKind.SQLITE:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# --- Tables and columns ---------------------------------------------------------------------

_NO_MATCH = object()


def _reflect(connection: Connection, target: SqlTarget) -> sa.Table:
    schema, _, name = target.table.rpartition(".")
    try:
        return sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=connection)
    except sa_exc.NoSuchTableError:
        raise _missing_table(target) from None


def _missing_table(target: SqlTarget) -> PermanentError:
    return PermanentError(f"Table {target.table} does not exist in database {target.database}.")


def _column(table: sa.Table, name: str, target: SqlTarget) -> sa.Column:
    if name not in table.c:
        raise PermanentError(f"Column {name} does not exist in table {target.table} of database {target.database}.")
    return table.c[name]


def _subject_column(connection: Connection, location, target: SqlTarget, value: str):
    """Return the table, the condition "this row is the subject's", and the bound value (or _NO_MATCH)."""
    table = _reflect(connection, target)
    column = _column(table, location.subject_field, target)
    bound = _bound_value(column, value)
    condition = column == bound
    if target.kind == LocationKind.MYSQL and isinstance(bound, str):
        # MySQL's usual collations ignore case and trailing spaces: ann@ would erase ANN@ too. The plain
        # comparison keeps the index; the binary one keeps only the exact identifier.
        condition = sa.and_(condition, column == sa.cast(sa.literal(bound, sa.String), sa.LargeBinary))
    return table, condition, bound


def _bound_value(column: sa.Column, value: str):
    """Return ``value`` as the column's Python type, or _NO_MATCH when it cannot be one (so no row can match)."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    if python_type is int and not isinstance(column.type, sa.Boolean):
        return int(value) if INTEGER.match(value.strip()) else _NO_MATCH
    if python_type.__name__ == "UUID":
        try:
            return python_type(value)
        except ValueError:
            return _NO_MATCH
    return value


def _anonymisable(table: sa.Table, names: list[str], target: SqlTarget) -> list[str]:
    fields = []
    for name in names:
        column = _column(table, name, target)
        if not column.nullable:
            raise PermanentError(
                f"Column {name} of table {target.table} cannot be blanked: it does not accept NULL. Make it nullable,"
                " or erase this location in delete mode."
            )
        fields.append(name)
    return fields


def _key_columns(table: sa.Table, column: sa.Column) -> list[sa.Column]:
    """Return the primary key's columns, or the subject column for a table without one."""
    return list(table.primary_key.columns) or [column]


def _row_key(row) -> str:
    values = [str(value) for value in row]
    return values[0] if len(values) == 1 else "\x1f".join(values)


# --- Errors ---------------------------------------------------------------------------------


@contextmanager
def _translated(target: SqlTarget) -> Iterator[None]:
    """Turn what SQLAlchemy and the drivers raise into TransientError or PermanentError, without secrets."""
    try:
        yield
    except ConnectorError:
        raise
    except (sa_exc.SQLAlchemyError, OSError) as error:
        raise classify_sql_error(error, target) from None


def classify_sql_error(error: BaseException, target: SqlTarget) -> ConnectorError:
    """Return the connector error that says what ``error`` means for ``target``, retryable or not."""
    if isinstance(error, sa_exc.NoSuchTableError):
        return _missing_table(target)
    if isinstance(error, sa_exc.TimeoutError):
        return TransientError(f"No connection to database {target.database} was free in time; Custos will try again.")
    if isinstance(error, OSError):
        return os_error(error, what=target.address or f"database {target.database}")
    if not isinstance(error, sa_exc.DBAPIError):
        return PermanentError(f"Database {target.database}: {target.scrub(str(error))}")
    original = error.orig
    if target.kind == LocationKind.POSTGRESQL:
        classified = _postgresql_error(original, target)
    elif target.kind == LocationKind.MYSQL:
        classified = _mysql_error(original, target)
    else:
        classified = _sqlite_error(original, target)
    if classified is not None:
        return classified
    reason = target.scrub(_driver_message(original))
    if error.connection_invalidated or isinstance(error, sa_exc.OperationalError):
        return TransientError(f"Database {target.database} failed: {reason}. Custos will try again.")
    return PermanentError(f"Database {target.database} refused the erasure: {reason}")


def _driver_message(original) -> str:
    """Return the text of a driver's error: PyMySQL's comes as (code, text)."""
    args = getattr(original, "args", ())
    if len(args) > 1 and isinstance(args[0], int):
        return str(args[1])
    return str(original)


def _refused_password(target: SqlTarget) -> PermanentError:
    if target.has_password:
        return PermanentError(f"The password for user {target.user} was refused by the database.")
    return PermanentError(f"The database refused user {target.user} without a password: add the password to the URL.")


def _unreachable(target: SqlTarget) -> TransientError:
    return TransientError(f"The database server at {target.address} did not answer (connection refused or timed out); Custos will try again.")


def _postgresql_error(original, target: SqlTarget) -> ConnectorError | None:
    state = getattr(original, "sqlstate", None) or ""
    text = str(original)
    lowered = text.lower()
    if state == "28P01" or "password authentication failed" in lowered:
        return _refused_password(target)
    if re.search(r'role ".*" does not exist', lowered):
        return PermanentError(f"The database has no user {target.user}.")
    if state == "28000" or "no pg_hba.conf entry" in lowered or "is not permitted to log in" in lowered:
        return PermanentError(f"The database does not let user {target.user} connect from Custos's host.")
    if state == "3D000" or re.search(r'database ".*" does not exist', lowered):
        return PermanentError(f"Database {target.database} does not exist on {target.address}.")
    if state == "42P01":
        return _missing_table(target)
    if state == "42703":
        return PermanentError(f"A column is missing from table {target.table} of database {target.database}: {target.scrub(text)}")
    if state == "42501":
        return PermanentError(f"User {target.user} may not change table {target.table} in database {target.database}: permission denied.")
    if state in ("55P03", "40P01", "40001"):
        return TransientError(f"Rows of table {target.table} are locked by another transaction; Custos will try again.")
    if "could not translate host name" in lowered:
        return PermanentError(f"The database host in the URL of database {target.database} is not known.")
    if any(word in lowered for word in POSTGRESQL_TRANSIENT_WORDS) or state.startswith(POSTGRESQL_TRANSIENT_CLASSES):
        return _unreachable(target)
    if state in POSTGRESQL_TRANSIENT_STATES:
        return TransientError(f"Database {target.database} is busy or restarting ({target.scrub(text)}); Custos will try again.")
    return None


def _mysql_error(original, target: SqlTarget) -> ConnectorError | None:
    args = getattr(original, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    if code == 1045:
        return _refused_password(target)
    if code == 1044:
        return PermanentError(f"User {target.user} may not use database {target.database}.")
    if code in (1142, 1143):
        return PermanentError(f"User {target.user} may not change table {target.table} in database {target.database}: permission denied.")
    if code == 1049:
        return PermanentError(f"Database {target.database} does not exist on {target.address}.")
    if code == 1146:
        return _missing_table(target)
    if code == 1054:
        return PermanentError(f"A column is missing from table {target.table} of database {target.database}: {target.scrub(str(args[1]))}")
    if code in (1205, 1213):
        return TransientError(f"Rows of table {target.table} are locked by another transaction; Custos will try again.")
    if code in (2002, 2003):
        return _unreachable(target)
    if code in MYSQL_TRANSIENT_CODES:
        return TransientError(f"Database {target.database} is busy or the connection was lost ({target.scrub(str(args[1]))}); Custos will try again.")
    return None


def _sqlite_error(original, target: SqlTarget) -> ConnectorError | None:
    text = str(original).lower()
    if "locked" in text or "busy" in text:
        return TransientError(f"The SQLite database {target.database} is locked by another writer; Custos will try again.")
    if "no such table" in text:
        return _missing_table(target)
    if "no such column" in text:
        return PermanentError(f"A column is missing from table {target.table} of database {target.database}: {target.scrub(str(original))}")
    if "unable to open" in text:
        return PermanentError(f"The SQLite database {target.database} cannot be opened.")
    if "readonly" in text or "read-only" in text:
        return PermanentError(f"The SQLite database {target.database} is read-only for Custos.")
    if "not a database" in text:
        return PermanentError(f"{target.database} is not a SQLite database.")
    return None
