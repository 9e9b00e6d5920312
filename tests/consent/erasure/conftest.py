"""Fixtures for erasure: a dataset with locations keyed by each kind of identifier, requests made through the services."""

import pytest

from consent.erasure import services
from datasets.services import add_storage_location, create_dataset


@pytest.fixture
def dataset(dpo):
    return create_dataset(actor=dpo, name="Shop customers")


@pytest.fixture
def make_location(dpo):
    """``make_location(dataset, name, subject_key)`` registers a PostgreSQL table location keyed by ``subject_key``."""

    def build(dataset, name, subject_key="external_id"):
        return add_storage_location(
            actor=dpo,
            dataset=dataset,
            name=name,
            kind="postgresql",
            url="postgresql://app:secret@db.example.org:5432/shop",
            table=f"public.{name.replace(' ', '_')}",
            subject_key=subject_key,
        )

    return build


@pytest.fixture
def make_request(dpo):
    """``make_request(subject=…)`` or ``make_request(identifiers={…})`` files a browser request as the DPO."""

    def build(**fields):
        fields.setdefault("source", "browser")
        return services.receive_erasure_request(actor=dpo, **fields)

    return build


@pytest.fixture
def verified(make_request, subject, dpo):
    """A request for the GB subject (GDPR), verified by ID document."""
    request = make_request(subject=subject)
    return services.verify_erasure_request(actor=dpo, request=request, method="id_document", evidence_note="Passport seen")
