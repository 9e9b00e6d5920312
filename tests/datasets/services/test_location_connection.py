"""Testing a location's connection: a search for a made-up subject, its report, and its audit event (never a secret)."""

import json
import sqlite3

import pytest
from django.core.exceptions import PermissionDenied

from compliance.audit.models import AuditEvent
from datasets.services import add_storage_location
from datasets.services import locations as location_services
from tests.datasets.connectors.conftest import closed_port

pytestmark = pytest.mark.django_db

PASSWORD = "s3cr3t-Pa55word"


def check(location, actor):
    return location_services.test_location_connection(actor=actor, location=location)


def test_a_reachable_location_reports_success_and_is_audited(csv_location, steward):
    report = check(csv_location, steward)

    assert report.ok is True
    assert report.message == "Custos reached export and searched it for a subject (0 records of a made-up key found)."
    event = AuditEvent.objects.get(action="storage_location.connection_tested")
    assert event.data == {"dataset": csv_location.dataset.slug, "kind": "filesystem", "ok": True, "error": ""}


def test_a_store_that_is_down_reports_a_retryable_failure_without_the_password(dataset, steward):
    port = closed_port()
    location = add_storage_location(
        actor=steward,
        dataset=dataset,
        name="shop database",
        kind="postgresql",
        url=f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/shop",
        table="customers",
        subject_key="email",
    )

    report = check(location, steward)

    message = f"The database server at 127.0.0.1:{port} did not answer (connection refused or timed out); Custos will try again."
    assert (report.ok, report.retryable, report.message) == (False, True, message)
    event = AuditEvent.objects.get(action="storage_location.connection_tested")
    assert event.data["error"] == message
    assert PASSWORD not in json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))


def test_a_missing_table_reports_a_permanent_failure(dataset, steward, stores):
    path = stores / "shop.db"
    sqlite3.connect(path).close()
    location = add_storage_location(
        actor=steward, dataset=dataset, name="shop file", kind="sqlite", path=str(path), table="customers", subject_key="email"
    )

    report = check(location, steward)

    assert (report.ok, report.retryable, report.message) == (False, False, f"Table customers does not exist in database {path}.")


def test_only_those_who_may_edit_the_dataset_may_test_its_locations(csv_location, other_steward):
    with pytest.raises(PermissionDenied) as raised:
        check(csv_location, other_steward)

    assert str(raised.value) == f"You may not test the locations of dataset {csv_location.dataset.slug!r}."
    assert not AuditEvent.objects.filter(action="storage_location.connection_tested").exists()
