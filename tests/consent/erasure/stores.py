"""Real stores for the execution engine's tests: a SQLite file keyed by email and a CSV file keyed by external id.

Import the fixtures into a test module (``from tests.consent.erasure.stores import ...  # noqa: F401``).
"""

import csv
import sqlite3

import pytest

from consent.erasure import execution, services
from datasets.services import add_storage_location

CSV_HEADER = ["customer_id", "plan"]


def sqlite_rows(path) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT email, plan FROM customers ORDER BY email").fetchall()


def csv_rows(path) -> list[dict]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def store_root(tmp_path, settings):
    root = tmp_path / "stores"
    root.mkdir()
    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(root)]
    return root


@pytest.fixture
def shop_stores(store_root, dataset, dpo):
    """The subject (user-1, jane.doe@example.com) and another person in a SQLite table and a CSV file, registered."""
    database = store_root / "shop.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, plan TEXT)")
        connection.executemany(
            "INSERT INTO customers (email, plan) VALUES (?, ?)",
            [("jane.doe@example.com", "gold"), ("jane.doe@example.com", "silver"), ("other@example.com", "gold")],
        )
    orders = store_root / "orders.csv"
    with open(orders, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_HEADER)
        writer.writerows([["user-1", "basic"], ["user-2", "pro"]])
    sqlite_location = add_storage_location(
        actor=dpo, dataset=dataset, name="customers", kind="sqlite", path=str(database), table="customers",
        subject_key="email", subject_field="email",
    )
    csv_location = add_storage_location(
        actor=dpo, dataset=dataset, name="orders", kind="filesystem", path=str(orders), format="csv",
        subject_key="external_id", subject_field="customer_id",
    )
    return {"database": database, "orders": orders, "sqlite": sqlite_location, "csv": csv_location}


@pytest.fixture
def approve(dpo, django_capture_on_commit_callbacks):
    """``approve(request)`` approves without sending the step tasks (the test runs them itself)."""

    def run(request):
        with django_capture_on_commit_callbacks(execute=False):
            return services.approve_erasure_request(actor=dpo, request=request)

    return run


@pytest.fixture
def completed(verified, shop_stores, approve):
    """The verified request approved and every step run in this thread: completed."""
    request = approve(verified)
    for step in request.steps.all():
        execution.run_step(step_id=step.pk)
    request.refresh_from_db()
    return request
