"""The access export against the server stores on the machine: PostgreSQL, MariaDB and Redis (skipped with the reason outside CI)."""

import pytest
import sqlalchemy as sa

from consent.erasure import access_engine
from consent.erasure.access_models import AccessStatus
from datasets.services import add_storage_location
from tests.consent.erasure.access_fixtures import access_root, file_access, run_export, started, zip_json  # noqa: F401
from tests.datasets.connectors.conftest import (  # noqa: F401 (fixtures)
    REDIS_DB,
    fresh_engines,
    mariadb_url,
    postgresql_url,
    redis_client,
)

pytestmark = pytest.mark.django_db


def _archive(access, dpo) -> bytes:
    return access_engine.archive_for_download(actor=dpo, request=access)


def _customers(url: str, table: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://").replace("mysql://", "mysql+pymysql://"))
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        connection.execute(sa.text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, customer_id VARCHAR(40), plan VARCHAR(20))"))
        connection.execute(
            sa.text(f"INSERT INTO {table} VALUES (1, 'user-1', 'gold'), (2, 'user-2', 'pro'), (3, 'user-1', 'silver')")
        )
    engine.dispose()


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_a_relational_store_exports_only_the_subjects_rows(
    server, request, dataset, dpo, subject, file_access, started, django_capture_on_commit_callbacks
):
    url = request.getfixturevalue(f"{server}_url")
    _customers(url, "access_customers")
    add_storage_location(
        actor=dpo, dataset=dataset, name=server, kind="postgresql" if server == "postgresql" else "mysql", url=url,
        table="access_customers", subject_key="external_id", subject_field="customer_id",
    )

    access = run_export(started(file_access(subject=subject)), django_capture_on_commit_callbacks)

    assert access.status == AccessStatus.READY
    rows = zip_json(_archive(access, dpo))[f"locations/01-shop-customers-{server}.json"]
    assert sorted((row["id"], row["customer_id"], row["plan"]) for row in rows) == [(1, "user-1", "gold"), (3, "user-1", "silver")]


def test_redis_exports_only_the_subjects_keys(redis_client, dataset, dpo, subject, file_access, started,
                                              django_capture_on_commit_callbacks):
    prefix = redis_client.key_prefix
    redis_client.hset(f"{prefix}user-1:profile", mapping={"plan": "gold"})
    redis_client.hset(f"{prefix}user-10:profile", mapping={"plan": "pro"})
    add_storage_location(
        actor=dpo, dataset=dataset, name="sessions", kind="redis", url=f"redis://127.0.0.1:6379/{REDIS_DB}",
        key_pattern=f"{prefix}{{key}}:*", subject_key="external_id",
    )

    access = run_export(started(file_access(subject=subject)), django_capture_on_commit_callbacks)

    records = zip_json(_archive(access, dpo))["locations/01-shop-customers-sessions.json"]
    assert [record["key"] for record in records] == [f"{prefix}user-1:profile"]
