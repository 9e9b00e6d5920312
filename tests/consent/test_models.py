"""The consent models: events that refuse to change, constraints, a subject's regime."""

import pytest
from django.db import IntegrityError, transaction

from consent.models import AppendOnlyError, ConsentEvent, Purpose
from consent.services import record_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(dpo, subject, purpose):
    return record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="web_form")


def test_an_event_cannot_be_saved_again(event):
    event.reason = "changed my mind"

    with pytest.raises(AppendOnlyError, match="append-only: record a new event"):
        event.save()


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnlyError, match="cannot be deleted"):
        event.delete()

    assert ConsentEvent.objects.filter(pk=event.pk).exists()


def test_a_subject_with_events_cannot_be_deleted(event, subject):
    with pytest.raises(IntegrityError), transaction.atomic():
        subject.delete()


def test_a_consent_basis_purpose_must_require_consent():
    with pytest.raises(IntegrityError), transaction.atomic():
        Purpose.objects.create(code="x", name="X", lawful_basis="consent", consent_required=False)


def test_a_subject_names_its_regime(make_subject):
    assert make_subject("a", jurisdiction="US-CA").regime == "ccpa"
    assert make_subject("b", jurisdiction="DE").regime == "gdpr"
    assert make_subject("c").regime == "policy"
    assert make_subject("d", jurisdiction="GB").regime_label == "GDPR / UK GDPR"
