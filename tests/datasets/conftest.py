"""Fixtures for the registry: people in each role, a file-store root, datasets and models made through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from datasets.services import add_storage_location, create_dataset, create_model, create_version


@pytest.fixture(autouse=True)
def stores(settings, tmp_path):
    """The one directory file and SQLite locations may use in these tests."""
    root = tmp_path / "stores"
    root.mkdir()
    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(root)]
    return root.resolve()


@pytest.fixture
def dpo(make_user):
    return make_user(Role.DPO, username="dpo")


@pytest.fixture
def steward(make_user):
    return make_user(Role.DATA_STEWARD, username="steward")


@pytest.fixture
def other_steward(make_user):
    return make_user(Role.DATA_STEWARD, username="other-steward")


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ML_ENGINEER, username="engineer")


@pytest.fixture
def other_engineer(make_user):
    return make_user(Role.ML_ENGINEER, username="other-engineer")


@pytest.fixture
def make_dataset(dpo):
    """``make_dataset(name, owner=…, **fields)`` registers a dataset as the DPO."""

    def build(name="Shop customers", **fields):
        return create_dataset(actor=dpo, name=name, **fields)

    return build


@pytest.fixture
def dataset(make_dataset, steward):
    return make_dataset("Shop customers", owner=steward, data_categories=["contact"], subject_jurisdictions=["GB"])


@pytest.fixture
def make_version(dpo):
    def build(dataset, label, **fields):
        return create_version(actor=dpo, dataset=dataset, label=label, **fields)

    return build


@pytest.fixture
def csv_location(dataset, stores, dpo):
    """A filesystem location of ``dataset`` over a small CSV of customers."""
    path = stores / "customers.csv"
    rows = ["customer_id,email,name,signed_up_on,total_spent"]
    rows += [f"c{n:04d},person{n}@example.org,Person {n},2025-01-{n % 28 + 1:02d},{n * 7}" for n in range(1, 41)]
    path.write_text("\n".join(rows) + "\n")
    return add_storage_location(
        actor=dpo, dataset=dataset, name="export", kind="filesystem", path=str(path), subject_key="external_id", subject_field="customer_id"
    )


@pytest.fixture
def model(engineer):
    return create_model(actor=engineer, name="Churn predictor")


@pytest.fixture
def in_a_week():
    return timezone.now() + timedelta(days=7)
