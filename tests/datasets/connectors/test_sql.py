"""The relational connector against the real stores: SQLite files, and the local PostgreSQL and MariaDB."""

import json
import secrets
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from datasets.connectors import NotApplicable, PermanentError, SubjectKeys, TransientError, discover, erase, export, sql
from datasets.connectors.base import keys_digest
from tests.datasets.connectors.conftest import closed_port, make_location, mariadb_admin, sql_rows

ANN = SubjectKeys(email="ann@example.org")
ROWS = [
    (1, "ann@example.org", "Ann", "+44 20 1", 10),
    (2, "bob@example.org", "Bob", "+44 20 2", 20),
    (3, "ann@example.org", "Ann A.", "+44 20 1", 30),
    (4, "o'brien@example.org", "O'Brien", None, 40),
    (5, "carol@example.org", "Carol", "+44 20 5", 50),
    (6, "ann@example.org", None, None, 60),
    (7, "ANN@example.org", "Ann upper", "+44 20 7", 70),
]
ANN_IDS = [1, 3, 6]
COLUMNS = ["id", "email", "name", "phone", "total"]


@dataclass
class SqlStore:
    """A real database with one fresh table of customers, and how to point a location at it."""

    kind: str
    engine: sa.Engine
    database: str
    table: str
    settings: dict

    def location(self, **values):
        return make_location(**{"kind": self.kind, "table": self.table, "subject_key": "email", "subject_field": "email", **self.settings, **values})

    def rows(self) -> list[tuple]:
        return sql_rows(self.engine, self.table)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def store(request, stores):
    kind = request.param
    if kind == "sqlite":
        path = stores / "shop.db"
        url, settings, database = f"sqlite:///{path}", {"path": str(path)}, str(path)
    elif kind == "postgresql":
        raw = request.getfixturevalue("postgresql_url")
        url, settings, database = raw.replace("postgresql://", "postgresql+psycopg://"), {"url": raw}, raw.rsplit("/", 1)[1]
    else:
        raw = request.getfixturevalue("mariadb_url")
        url, settings, database = raw.replace("mysql://", "mysql+pymysql://"), {"url": raw}, raw.rsplit("/", 1)[1]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    table_name = f"customers_{secrets.token_hex(3)}"
    table = sa.Table(
        table_name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(200), index=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("total", sa.Integer, nullable=False),
    )
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [dict(zip(COLUMNS, row, strict=True)) for row in ROWS])
    yield SqlStore(kind=kind, engine=engine, database=database, table=table_name, settings=settings)
    sql.engines.clear()
    table.drop(engine)
    engine.dispose()


def test_discover_counts_the_subjects_rows_and_finds_no_one_for_an_unknown_key(store):
    assert discover(store.location(), ANN).records == 3
    assert discover(store.location(), SubjectKeys(email="nobody@example.org")).records == 0


def test_delete_removes_exactly_the_subjects_rows_with_evidence(store):
    erased = erase(store.location(), ANN, "delete")

    assert erased.records_affected == 3
    assert (erased.rows_before, erased.rows_after) == (7, 4)
    assert erased.fields == COLUMNS
    assert erased.keys_sha256 == keys_digest(str(pk) for pk in ANN_IDS)
    assert store.rows() == [row for row in ROWS if row[0] not in ANN_IDS]


def test_deleting_twice_reports_zero_and_leaves_the_same_rows(store):
    erase(store.location(), ANN, "delete")
    after_first = store.rows()

    second = erase(store.location(), ANN, "delete")

    assert second.records_affected == 0
    assert second.keys_sha256 == keys_digest([])
    assert (second.rows_before, second.rows_after) == (4, 4)
    assert store.rows() == after_first


def test_anonymise_blanks_the_named_columns_of_the_subjects_rows_only(store):
    location = store.location(erasure_mode="anonymise", anonymise_fields=["name", "phone"])

    erased = erase(location, ANN, "anonymise")

    # Row 6 holds nothing to blank any more, so it is not counted.
    assert erased.records_affected == 2
    assert erased.fields == ["name", "phone"]
    assert erased.keys_sha256 == keys_digest(["1", "3"])
    assert (erased.rows_before, erased.rows_after) == (7, 7)
    expected = [(pk, email, None, None, total) if pk in ANN_IDS else (pk, email, name, phone, total) for pk, email, name, phone, total in ROWS]
    assert store.rows() == expected


def test_anonymising_twice_reports_zero_the_second_time(store):
    location = store.location(erasure_mode="anonymise", anonymise_fields=["name", "phone"])
    erase(location, ANN, "anonymise")
    after_first = store.rows()

    assert erase(location, ANN, "anonymise").records_affected == 0
    assert store.rows() == after_first


def test_a_column_that_refuses_null_cannot_be_anonymised_and_nothing_changes(store):
    location = store.location(erasure_mode="anonymise", anonymise_fields=["name", "total"])

    with pytest.raises(PermanentError) as raised:
        erase(location, ANN, "anonymise")

    assert raised.value.message == (
        f"Column total of table {store.table} cannot be blanked: it does not accept NULL. Make it nullable, or erase this"
        " location in delete mode."
    )
    assert store.rows() == ROWS


def test_export_returns_the_subjects_rows_as_json(store):
    exported = export(store.location(), ANN)

    assert exported.fields == COLUMNS
    assert sorted(exported.records, key=lambda record: record["id"]) == [
        dict(zip(COLUMNS, row, strict=True)) for row in ROWS if row[0] in ANN_IDS
    ]
    json.dumps(exported.records)


@pytest.mark.parametrize(
    "hostile",
    [
        "ann@example.org' OR '1'='1",
        "' OR 1=1 --",
        "x'; DROP TABLE {table}; --",
        "ann@example.org\\",
        "%",
    ],
)
def test_sql_in_the_subjects_identifier_is_only_ever_data(store, hostile):
    keys = SubjectKeys(email=hostile.format(table=store.table))

    assert discover(store.location(), keys).records == 0
    assert erase(store.location(), keys, "delete").records_affected == 0
    assert store.rows() == ROWS


def test_an_identifier_with_a_quote_is_matched_exactly(store):
    erased = erase(store.location(), SubjectKeys(email="o'brien@example.org"), "delete")

    assert erased.records_affected == 1
    assert [row[0] for row in store.rows()] == [1, 2, 3, 5, 6, 7]


def test_an_integer_column_searched_with_a_non_number_finds_nothing(store):
    location = store.location(subject_key="external_id", subject_field="id")

    assert discover(location, SubjectKeys(external_id="3")).records == 1
    assert discover(location, SubjectKeys(external_id="3 OR 1=1")).records == 0
    assert erase(location, SubjectKeys(external_id="not-a-number"), "delete").records_affected == 0
    assert erase(location, SubjectKeys(external_id="3"), "delete").records_affected == 1


def test_a_missing_table_is_a_permanent_error_naming_it(store):
    with pytest.raises(PermanentError) as raised:
        discover(store.location(table="no_such_table"), ANN)

    assert raised.value.message == f"Table no_such_table does not exist in database {store.database}."


def test_a_missing_subject_column_is_a_permanent_error_naming_it(store):
    with pytest.raises(PermanentError) as raised:
        erase(store.location(subject_field="emial"), ANN, "delete")

    assert raised.value.message == f"Column emial does not exist in table {store.table} of database {store.database}."
    assert store.rows() == ROWS


def test_a_missing_column_to_blank_is_a_permanent_error_naming_it(store):
    location = store.location(erasure_mode="anonymise", anonymise_fields=["name", "surname"])

    with pytest.raises(PermanentError) as raised:
        erase(location, ANN, "anonymise")

    assert raised.value.message == f"Column surname does not exist in table {store.table} of database {store.database}."


def test_a_location_keyed_by_an_identifier_the_request_lacks_is_not_applicable(store):
    with pytest.raises(NotApplicable) as raised:
        discover(store.location(subject_key="phone", subject_field="phone"), ANN)

    assert raised.value.message == "Location 'test store' is keyed by phone number, which this request does not give."


def test_a_row_held_by_another_transaction_is_a_transient_error(store, monkeypatch):
    monkeypatch.setattr(sql, "LOCK_TIMEOUT_SECONDS", 1)
    holder = store.engine.connect()
    if store.kind == "sqlite":
        holder.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        holder.execute(sa.text(f"UPDATE {store.table} SET total = total WHERE id = 1"))
    try:
        with pytest.raises(TransientError) as raised:
            erase(store.location(), ANN, "delete")
    finally:
        holder.rollback()
        holder.close()

    if store.kind == "sqlite":
        assert raised.value.message == f"The SQLite database {store.database} is locked by another writer; Custos will try again."
    else:
        assert raised.value.message == f"Rows of table {store.table} are locked by another transaction; Custos will try again."
    assert store.rows() == ROWS


# --- Store-specific failures ----------------------------------------------------------------------------


def test_a_postgresql_server_that_does_not_answer_is_a_transient_error(postgresql_url):
    port = closed_port()
    location = make_location(
        kind="postgresql", url=f"postgresql://app:Pa55-secret@127.0.0.1:{port}/shop", table="customers", subject_key="email"
    )

    with pytest.raises(TransientError) as raised:
        discover(location, ANN)

    assert raised.value.message == (
        f"The database server at 127.0.0.1:{port} did not answer (connection refused or timed out); Custos will try again."
    )


def test_an_unknown_postgresql_user_is_a_permanent_error(postgresql_url):
    database = postgresql_url.rsplit("/", 1)[1]
    location = make_location(
        kind="postgresql", url=f"postgresql://no_such_user:Pa55-secret@127.0.0.1:5432/{database}", table="t", subject_key="email"
    )

    with pytest.raises(PermanentError) as raised:
        discover(location, ANN)

    assert raised.value.message == "The database has no user no_such_user."


def test_a_missing_postgresql_database_is_a_permanent_error(postgresql_url):
    location = make_location(kind="postgresql", url="postgresql://postgres@127.0.0.1:5432/custos_no_such_db", table="t", subject_key="email")

    with pytest.raises(PermanentError) as raised:
        discover(location, ANN)

    assert raised.value.message == "Database custos_no_such_db does not exist on 127.0.0.1:5432."


@pytest.fixture
def mariadb_user(mariadb_url):
    """A MariaDB user with a password and no grants: (name, password)."""
    name, password = f"custos_{secrets.token_hex(3)}", f"Right-{secrets.token_hex(6)}"
    with mariadb_admin() as admin, admin.cursor() as cursor:
        cursor.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (name, password))
    yield name, password
    with mariadb_admin() as admin, admin.cursor() as cursor:
        cursor.execute("DROP USER IF EXISTS %s@'127.0.0.1'", (name,))


def test_a_wrong_mariadb_password_is_a_permanent_error_that_does_not_repeat_it(mariadb_url, mariadb_user):
    name, _ = mariadb_user
    database = mariadb_url.rsplit("/", 1)[1]
    wrong = "Wrong-Pa55word-x9"
    location = make_location(kind="mysql", url=f"mysql://{name}:{wrong}@127.0.0.1:3306/{database}", table="t", subject_key="email")

    with pytest.raises(PermanentError) as raised:
        erase(location, ANN, "delete")

    assert raised.value.message == f"The password for user {name} was refused by the database."
    assert wrong not in str(raised.value) and raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_mariadb_user_without_rights_on_the_database_is_a_permanent_error(mariadb_url, mariadb_user):
    name, password = mariadb_user
    database = mariadb_url.rsplit("/", 1)[1]
    location = make_location(kind="mysql", url=f"mysql://{name}:{password}@127.0.0.1:3306/{database}", table="t", subject_key="email")

    with pytest.raises(PermanentError) as raised:
        discover(location, ANN)

    assert raised.value.message == f"User {name} may not use database {database}."
    assert password not in raised.value.message


def test_a_mariadb_server_that_does_not_answer_is_a_transient_error(mariadb_url):
    port = closed_port()
    location = make_location(kind="mysql", url=f"mysql://root:Pa55-secret@127.0.0.1:{port}/shop", table="t", subject_key="email")

    with pytest.raises(TransientError) as raised:
        discover(location, ANN)

    assert raised.value.message == (
        f"The database server at 127.0.0.1:{port} did not answer (connection refused or timed out); Custos will try again."
    )
    assert "Pa55-secret" not in raised.value.message


def test_a_schema_qualified_postgresql_table_is_reached(postgresql_url):
    engine = sa.create_engine(postgresql_url.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.pool.NullPool)
    schema = f"crm_{secrets.token_hex(3)}"
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        connection.execute(sa.text(f"CREATE TABLE {schema}.people (id int PRIMARY KEY, email text)"))
        connection.execute(sa.text(f"INSERT INTO {schema}.people VALUES (1, 'ann@example.org'), (2, 'bob@example.org')"))
    location = make_location(kind="postgresql", url=postgresql_url, table=f"{schema}.people", subject_key="email")
    try:
        assert erase(location, ANN, "delete").records_affected == 1
    finally:
        sql.engines.clear()
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


# --- SQLite files ---------------------------------------------------------------------------------------


def test_a_missing_sqlite_file_is_a_permanent_error_and_is_not_created(stores):
    location = make_location(kind="sqlite", path=str(stores / "gone.db"), table="customers", subject_key="email")

    with pytest.raises(PermanentError) as raised:
        discover(location, ANN)

    assert raised.value.message == f"The SQLite database {stores / 'gone.db'} does not exist."
    assert not (stores / "gone.db").exists()


def test_a_sqlite_file_moved_outside_the_roots_through_a_symlink_is_refused(stores, tmp_path):
    outside = tmp_path / "elsewhere.db"
    sa.create_engine(f"sqlite:///{outside}").connect().close()
    link = stores / "shop.db"
    link.touch()
    location = make_location(kind="sqlite", path=str(link), table="customers", subject_key="email")
    link.unlink()
    link.symlink_to(outside)

    with pytest.raises(PermanentError) as raised:
        discover(location, ANN)

    assert raised.value.message.startswith(f"{outside} is outside the directories Custos may use ({stores}).")


def test_a_file_that_is_not_a_sqlite_database_is_a_permanent_error(stores):
    path = stores / "notes.db"
    path.write_text("these are notes, not a database\n" * 200)
    location = make_location(kind="sqlite", path=str(path), table="customers", subject_key="email")

    with pytest.raises(PermanentError) as raised:
        discover(location, ANN)

    assert raised.value.message == f"{path} is not a SQLite database."


# --- Engines ------------------------------------------------------------------------------------------


def test_the_engine_cache_keeps_the_most_recent_engines_and_disposes_of_the_rest():
    cache = sql.EngineCache(size=2)
    built: list[str] = []

    def build(name):
        def make():
            built.append(name)
            return sa.create_engine("sqlite://")

        return make

    first = cache.get("a", build("a"))
    cache.get("b", build("b"))
    assert cache.get("a", build("a")) is first
    cache.get("c", build("c"))  # evicts "b", the least recently used
    cache.get("a", build("a"))
    cache.get("b", build("b"))

    assert built == ["a", "b", "c", "b"]
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0
