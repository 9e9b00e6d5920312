"""Fixtures for the reports tests: people in each role and a small organisation made through the services."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from consent.erasure import access_services
from consent.erasure import services as erasure_services
from consent.services import create_purpose, publish_notice, record_consent, upsert_subject
from datasets.services import add_storage_location, create_dataset

SECRET = "s3cr3t-password-never-exported"
EMAIL = "jane.doe@example.com"
PHONE = "+44 20 7946 0000"
NAME = "Jane Doe"


@pytest.fixture
def dpo(make_user):
    return make_user(Role.DPO, username="dpo")


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, username="auditor")


@dataclass
class Organisation:
    dataset: object
    other_dataset: object
    location: object
    purpose: object
    subject: object
    erasure: object
    access: object


@pytest.fixture
def organisation(dpo) -> Organisation:
    """Two datasets (one with a password-bearing location), a consent purpose, a subject who consented, two requests."""
    marketing = create_purpose(actor=dpo, code="marketing", name="Marketing emails", lawful_basis="consent")
    publish_notice(
        actor=dpo, purpose=marketing, version="v1", effective_at=timezone.now() - timedelta(days=30), text="Offers by email."
    )
    dataset = create_dataset(
        actor=dpo,
        name="=HYPERLINK(\"http://evil\")",
        slug="shop",
        data_categories=["contact"],
        subject_jurisdictions=["GB"],
        lawful_bases=["consent"],
        purposes=["marketing"],
        retention_days=365,
        retention_action="delete",
        encryption_at_rest="AES-256",
        encryption_in_transit=True,
    )
    other = create_dataset(actor=dpo, name="Clickstream", slug="clicks", data_categories=["behavioural"])
    location = add_storage_location(
        actor=dpo,
        dataset=dataset,
        name="orders db",
        kind="postgresql",
        url=f"postgresql://app:{SECRET}@db.example.org:5432/shop",
        table="public.customers",
        subject_key="external_id",
    )
    subject = upsert_subject(actor=dpo, external_id="user-1", email=EMAIL, phone=PHONE, name=NAME, jurisdiction="GB").subject
    record_consent(actor=dpo, subject=subject, purpose=marketing, status="granted", collection_method="web_form", notice_version="v1")
    erasure = erasure_services.receive_erasure_request(actor=dpo, subject=subject, source="browser")
    access = access_services.receive_access_request(
        actor=dpo, identifiers={"email": EMAIL}, source="browser", requester_contact=EMAIL
    )
    return Organisation(dataset, other, location, marketing, subject, erasure, access)
