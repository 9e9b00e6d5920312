"""Reading URLs as people write them, redacting them, and the driver URLs the connectors use."""

import pytest
from django.core.exceptions import ValidationError

from datasets.locations import is_sql_identifier, parse_url, path_under_roots, redact_url, sqlalchemy_url
from datasets.models import StorageLocation


@pytest.mark.parametrize(
    ("given", "redacted"),
    [
        ("postgresql://app:pw@db:5432/shop", "postgresql://app:***@db:5432/shop"),
        ("postgres://app@db/shop", "postgres://app@db/shop"),
        ("mysql://root:p%40ss@127.0.0.1/x?charset=utf8mb4&sslpassword=hunter2", "mysql://root:***@127.0.0.1/x?charset=utf8mb4&sslpassword=***"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://user:pw@cache/1", "rediss://user:***@cache/1"),
    ],
)
def test_urls_are_redacted(given, redacted):
    assert redact_url(parse_url(given)) == redacted


@pytest.mark.parametrize(
    ("kind", "connection", "path", "expected"),
    [
        ("postgresql", {"url": "postgresql://app:pw@db:5432/shop"}, "", "postgresql+psycopg://app:pw@db:5432/shop"),
        ("postgresql", {"url": "postgres://app:pw@db/shop"}, "", "postgresql+psycopg://app:pw@db/shop"),
        ("postgresql", {"url": "postgresql+psycopg2://app:pw@db/shop"}, "", "postgresql+psycopg://app:pw@db/shop"),
        ("mysql", {"url": "mysql://app:pw@db:3306/shop"}, "", "mysql+pymysql://app:pw@db:3306/shop"),
        ("mysql", {"url": "mariadb://app:pw@db/shop"}, "", "mariadb+pymysql://app:pw@db/shop"),
        ("sqlite", None, "/srv/stores/clinic.sqlite3", "sqlite:////srv/stores/clinic.sqlite3"),
    ],
)
def test_sqlalchemy_urls_use_custos_drivers(kind, connection, path, expected):
    assert sqlalchemy_url(StorageLocation(kind=kind, connection=connection, path=path)) == expected


def test_non_relational_locations_have_no_sqlalchemy_url():
    with pytest.raises(ValueError, match="A redis location has no SQLAlchemy URL."):
        sqlalchemy_url(StorageLocation(kind="redis", connection={"url": "redis://c/0"}))


@pytest.mark.parametrize(
    ("name", "qualified", "valid"),
    [
        ("customers", False, True),
        ("_tmp_2", False, True),
        ("public.customers", True, True),
        ("public.customers", False, False),
        ("a.b.c", True, False),
        ("2fast", False, False),
        ("drop table", False, False),
        ("x" * 63, False, True),
        ("x" * 64, False, False),
        ('"quoted"', False, False),
    ],
)
def test_sql_identifiers(name, qualified, valid):
    assert is_sql_identifier(name, qualified=qualified) is valid


def test_paths_resolve_relative_to_the_first_root_and_refuse_without_roots(settings, stores):
    assert path_under_roots("a/../b.csv") == stores / "b.csv"
    settings.CONNECTOR_FILESYSTEM_ROOTS = []
    with pytest.raises(ValidationError, match="No directory is allowed for file locations: set CONNECTOR_FILESYSTEM_ROOTS."):
        path_under_roots("b.csv")
