"""The demo registry seed_demo loads: varied, idempotent, and silent the second time."""

import io

import pytest
from django.core.management import call_command

from compliance.audit.models import AuditEvent
from datasets.models import Dataset, DatasetVersion, LocationKind, MLModel, StorageLocation, TrainingRun, VersionParent

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_covers_the_registry_and_a_second_run_changes_nothing(stores):
    output = seed()

    assert Dataset.objects.count() == 13
    assert "registry: created 17, kept 0." in output
    assert set(StorageLocation.objects.values_list("kind", flat=True)) == set(LocationKind.values)
    for location in StorageLocation.objects.filter(kind__in=["filesystem", "sqlite"]):
        assert location.path.startswith(str(stores / "demo"))
    categories = {code for codes in Dataset.objects.values_list("data_categories", flat=True) for code in codes}
    assert len(categories) == 9
    assert Dataset.objects.get(slug="shop-customers").owner.username == "steward"
    assert VersionParent.objects.filter(child__dataset__slug="fitness-tracker", parent__dataset__slug="clinic-appointments").exists()
    assert DatasetVersion.objects.filter(membership_filter__isnull=False).count() == 3
    assert MLModel.objects.get(slug="readmission-risk").owner.username == "engineer"
    assert TrainingRun.objects.filter(privacy_technique="dp_sgd").count() == 2
    assert TrainingRun.objects.count() == 6
    assert "***@127.0.0.1" in StorageLocation.objects.get(name="shop database").display_target

    events, datasets = AuditEvent.objects.count(), list(Dataset.objects.values())
    again = seed()

    assert AuditEvent.objects.count() == events
    assert list(Dataset.objects.values()) == datasets
    assert "registry: nothing to do (17 already there)." in again
