"""Demo stores for ``manage.py seed_demo``: the files and SQLite database the demo registry points at.

It lives with the rights requests, above the registry and consent, because it
needs both the consent demo's identities and the erasure app's legal holds.
The registry demo (``datasets.demo``) registers file and SQLite locations under
``CONNECTOR_FILESYSTEM_ROOTS[0]/demo/``; this step writes them, with rows for
the demo subjects keyed exactly as those locations say, so a newcomer can
erase a demo subject end to end. A store file that exists is never
rewritten: the user may have erased rows from it.

The demo's PostgreSQL, MySQL, S3 and Redis locations name servers the
embedded profile does not run. Their datasets get a legal hold saying so, so
an approval skips them (the certificate shows the hold) instead of leaving
steps failing against a server that is not there.
"""

import csv
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from compliance.crypto.blind_index import normalise_phone
from consent.demo import demo_identity
from consent.erasure.models import LegalHold
from consent.erasure.services import set_legal_hold
from datasets.demo import ACTOR, DEMO_SUBJECTS, demo_datasets, stores_directory
from datasets.models import Dataset, LocationKind

NO_SERVER_HOLD = "Demo: no server for this location in the embedded profile"
NETWORK_KINDS = (LocationKind.POSTGRESQL, LocationKind.MYSQL, LocationKind.REDIS, LocationKind.S3)
CLINICS = ("North clinic", "Riverside clinic", "Harbour clinic")


def _write_shop_customers(path: Path) -> None:
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["customer_id", "email", "total_spent"])
        for index, external_id in enumerate(DEMO_SUBJECTS[:35]):
            writer.writerow([external_id, demo_identity(index)["email"], f"{(index * 37) % 500 + 20}.{index % 100:02d}"])


def _write_clinic(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(
                "CREATE TABLE appointments (id INTEGER PRIMARY KEY, patient_id TEXT NOT NULL, clinic TEXT, booked_for TEXT, notes TEXT)"
            )
            connection.execute("CREATE INDEX appointments_patient ON appointments (patient_id)")
            connection.executemany(
                "INSERT INTO appointments (patient_id, clinic, booked_for, notes) VALUES (?, ?, ?, ?)",
                [
                    (external_id, CLINICS[(index + visit) % len(CLINICS)], f"2026-0{visit + 1}-{index % 28 + 1:02d}", "Routine check-up")
                    for index, external_id in enumerate(DEMO_SUBJECTS)
                    for visit in range(2)
                ],
            )
    finally:
        connection.close()


def _write_lines(path: Path, records: list[dict]) -> None:
    with open(path, "w") as file:
        for record in records:
            file.write(json.dumps(record, sort_keys=True) + "\n")


def _write_payments(path: Path) -> None:
    _write_lines(
        path,
        [
            {"customer_id": external_id, "amount": (index * 13) % 200 + 5, "currency": "GBP", "reference": f"PAY-{index:04d}-{month}"}
            for index, external_id in enumerate(DEMO_SUBJECTS)
            for month in ("01", "02")
        ],
    )


def _write_routes(path: Path) -> None:
    # E.164, the form Custos keeps a subject's phone in: the connector matches values exactly.
    _write_lines(
        path,
        [
            {"recipient_phone": normalise_phone(demo_identity(index)["phone"]), "address": f"{index + 1} Demo Street", "route": f"R{index % 5 + 1}"}
            for index in range(len(DEMO_SUBJECTS))
        ],
    )


def demo_store_files() -> dict[str, Callable[[Path], None]]:
    """Return each demo store's file name under the demo directory, with the function that writes it."""
    return {
        "shop-customers.csv": _write_shop_customers,
        "clinic.sqlite3": _write_clinic,
        "payments.jsonl": _write_payments,
        "routes.jsonl": _write_routes,
    }


def _write_missing_files() -> tuple[int, int]:
    directory = stores_directory()
    directory.mkdir(parents=True, exist_ok=True)
    created = kept = 0
    for name, write in demo_store_files().items():
        path = directory / name
        if path.exists():
            kept += 1
            continue
        # Written beside the target and renamed, so an interrupted seed leaves no half a store.
        partial = directory / f".{name}.partial"
        partial.unlink(missing_ok=True)
        write(partial)
        partial.rename(path)
        created += 1
    return created, kept


def _hold_network_datasets() -> tuple[int, int]:
    created = kept = 0
    slugs = [spec.slug for spec in demo_datasets()]
    datasets = Dataset.objects.filter(slug__in=slugs, locations__kind__in=NETWORK_KINDS).distinct().order_by("slug")
    for dataset in datasets:
        # Any hold with this reason, released or not: a user who released it keeps it released.
        if LegalHold.objects.filter(dataset=dataset, reason=NO_SERVER_HOLD).exists():
            kept += 1
            continue
        set_legal_hold(actor=ACTOR, dataset=dataset, reason=NO_SERVER_HOLD)
        created += 1
    return created, kept


@transaction.atomic
def seed_demo_stores() -> tuple[int, int]:
    """Write the demo store files that are missing and hold the datasets on servers the demo lacks; return (created, kept)."""
    files_created, files_kept = _write_missing_files()
    holds_created, holds_kept = _hold_network_datasets()
    return files_created + holds_created, files_kept + holds_kept
