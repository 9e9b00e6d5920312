"""Check of consent: every active purpose asking for consent has a privacy notice in effect."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.services import create_purpose, publish_notice
from tests.compliance.controls.checks.conftest import labels, urls

pytestmark = pytest.mark.django_db


def test_no_purpose_asking_for_consent_means_no_data(evaluate, dpo):
    create_purpose(actor=dpo, code="billing", name="Billing", lawful_basis="contract", consent_required=False)

    outcome = evaluate("consent.notices_current")

    assert (outcome.status, outcome.summary) == ("no_data", "No active purpose asks for consent.")


def test_passes_when_each_consent_purpose_has_a_notice_in_effect(evaluate, dpo):
    marketing = create_purpose(actor=dpo, code="marketing", name="Marketing emails", lawful_basis="consent")
    publish_notice(actor=dpo, purpose=marketing, version="v1", effective_at=timezone.now() - timedelta(days=30), text="Offers by email.")
    # Inactive purposes take no new consent: no notice needed.
    create_purpose(actor=dpo, code="surveys", name="Surveys", lawful_basis="consent", active=False)

    outcome = evaluate("consent.notices_current")

    assert (outcome.status, outcome.summary) == ("pass", "0 of 1 consent-based purpose are without a privacy notice in effect.")


def test_fails_on_a_purpose_without_notice_or_with_one_not_yet_in_effect(evaluate, dpo):
    marketing = create_purpose(actor=dpo, code="marketing", name="Marketing emails", lawful_basis="consent")
    publish_notice(actor=dpo, purpose=marketing, version="v1", effective_at=timezone.now() - timedelta(days=30), text="Offers by email.")
    create_purpose(actor=dpo, code="model-training", name="Model training", lawful_basis="consent")
    future = create_purpose(actor=dpo, code="profiling", name="Profiling", lawful_basis="legitimate_interests", consent_required=True)
    publish_notice(actor=dpo, purpose=future, version="v1", effective_at=timezone.now() + timedelta(days=10), text="Later.")

    outcome = evaluate("consent.notices_current")

    assert outcome.status == "fail"
    assert outcome.summary == "2 of 3 consent-based purposes are without a privacy notice in effect."
    assert labels(outcome) == ["Model training (model-training)", "Profiling (profiling)"]
    assert urls(outcome) == [reverse("consent:purpose_detail", args=["model-training"]), reverse("consent:purpose_detail", args=["profiling"])]
