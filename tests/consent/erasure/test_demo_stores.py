"""The demo stores seed_demo writes: real files the demo locations point at, erasable end to end."""

import csv
import io
import json
import sqlite3

import pytest
from django.core.management import call_command

from compliance.accounts.models import User
from consent.erasure import execution, services
from consent.erasure.models import LegalHold, RequestStatus, StepStatus
from consent.models import DataSubject
from consent.erasure.demo_stores import NO_SERVER_HOLD, demo_store_files
from datasets.models import StorageLocation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stores(settings, tmp_path):
    """The one directory the demo's file and SQLite locations use in these tests."""
    root = tmp_path / "stores"
    root.mkdir()
    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(root)]
    return root.resolve()


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _snapshot(root) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((root / "demo").iterdir())}


def _clinic_patients(path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT patient_id FROM appointments")]
    finally:
        connection.close()


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_demo_file_and_sqlite_location_points_at_a_store_that_exists(stores):
    seed()
    local = StorageLocation.objects.filter(kind__in=["filesystem", "sqlite"])
    assert local.count() == 4
    for location in local:
        assert (stores / "demo" / location.path.rsplit("/", 1)[-1]).is_file(), location.name
    assert sorted(path.name for path in (stores / "demo").iterdir()) == sorted(demo_store_files())


def test_a_second_seed_leaves_the_stores_byte_identical_and_keeps_an_edited_file(stores):
    seed()
    first = _snapshot(stores)
    holds = LegalHold.objects.count()
    (stores / "demo" / "payments.jsonl").write_text("")
    output = seed()
    assert "demo stores: nothing to do (8 already there)." in output
    assert (stores / "demo" / "payments.jsonl").read_text() == ""
    (stores / "demo" / "payments.jsonl").write_bytes(first["payments.jsonl"])
    assert _snapshot(stores) == first
    assert LegalHold.objects.count() == holds


def test_only_the_datasets_with_network_locations_are_held():
    seed()
    held = sorted(LegalHold.objects.filter(reason=NO_SERVER_HOLD).values_list("dataset__slug", flat=True))
    assert held == ["fitness-tracker", "shop-database", "support-tickets", "web-clickstream"]


def test_an_erasure_of_a_demo_subject_completes_and_erases_only_their_rows(stores, django_capture_on_commit_callbacks):
    seed()
    demo = stores / "demo"
    shop_before = list(csv.DictReader(io.StringIO((demo / "shop-customers.csv").read_text())))
    dpo = User.objects.get(username="dpo")
    subject = DataSubject.objects.get(external_id="demo-subject-001")
    phone = subject.phone
    request = services.receive_erasure_request(actor=dpo, subject=subject, source="browser")
    request = services.verify_erasure_request(actor=dpo, request=request, method="id_document", evidence_note="Passport seen")
    with django_capture_on_commit_callbacks(execute=False):
        request = services.approve_erasure_request(actor=dpo, request=request)
    for step in request.steps.filter(status=StepStatus.PENDING):
        assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE, step.location.name

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    steps = {step.location.name: step for step in request.steps.select_related("location", "legal_hold")}
    skipped = {name for name, step in steps.items() if step.status == StepStatus.SKIPPED}
    assert skipped == {"shop database", "helpdesk database", "readings lake", "session cache"}
    assert all(steps[name].legal_hold.reason == NO_SERVER_HOLD for name in skipped)
    assert {name: steps[name].records_affected for name in ("monthly export", "clinic database", "ledger exports", "route logs")} == {
        "monthly export": 1,
        "clinic database": 2,
        "ledger exports": 2,
        "route logs": 1,
    }

    patients = _clinic_patients(demo / "clinic.sqlite3")
    assert "demo-subject-001" not in patients and patients.count("demo-subject-002") == 2
    payments = [record["customer_id"] for record in _lines(demo / "payments.jsonl")]
    assert "demo-subject-001" not in payments and payments.count("demo-subject-002") == 2
    routes = _lines(demo / "routes.jsonl")
    assert len(routes) == 40 and phone not in [route["recipient_phone"] for route in routes]
    assert routes[1]["address"] == "2 Demo Street"
    shop_after = list(csv.DictReader(io.StringIO((demo / "shop-customers.csv").read_text())))
    assert shop_after == [row for row in shop_before if row["customer_id"] != "demo-subject-001"]
    assert len(shop_after) == len(shop_before) - 1
