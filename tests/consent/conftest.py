"""Fixtures for consent: people in each role, a purpose with a notice, subjects made through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from consent.services import create_purpose, publish_notice, upsert_subject


@pytest.fixture
def dpo(make_user):
    return make_user(Role.DPO, username="dpo")


@pytest.fixture
def manager(make_user):
    return make_user(Role.COMPLIANCE_MANAGER, username="manager")


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, username="auditor")


@pytest.fixture
def purpose(dpo):
    """Marketing, on the consent basis, with notice v1 in effect since last year."""
    marketing = create_purpose(actor=dpo, code="marketing", name="Marketing emails", lawful_basis="consent")
    publish_notice(
        actor=dpo,
        purpose=marketing,
        version="v1",
        effective_at=timezone.now() - timedelta(days=365),
        text="We will email you offers.",
    )
    return marketing


@pytest.fixture
def make_subject(dpo):
    """``make_subject(external_id, **identifiers)`` creates a subject as the DPO."""

    def build(external_id="user-1", **identifiers):
        return upsert_subject(actor=dpo, external_id=external_id, **identifiers).subject

    return build


@pytest.fixture
def subject(make_subject):
    return make_subject("user-1", email="Jane.Doe@Example.com", phone="+44 20 7946 0000", name="Jane Doe", jurisdiction="GB")
