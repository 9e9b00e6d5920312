"""Purposes and notices: permanent codes, the consent basis, versioned notices pinned by SHA-256."""

import hashlib
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.audit.models import AuditEvent
from consent.models import PrivacyNotice, Purpose
from consent.services import create_purpose, publish_notice, update_purpose

pytestmark = pytest.mark.django_db


def test_a_purpose_is_created_and_audited(dpo):
    purpose = create_purpose(
        actor=dpo, code="model-training", name="Model training", lawful_basis="legitimate_interests", consent_required=False
    )

    assert (purpose.code, purpose.consent_required, purpose.active) == ("model-training", False, True)
    event = AuditEvent.objects.get(action="purpose.created")
    assert event.data == {
        "code": "model-training",
        "name": "Model training",
        "lawful_basis": "legitimate_interests",
        "consent_required": False,
        "active": True,
    }


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"code": "Model Training", "name": "X", "lawful_basis": "consent"},
            {"code": ["'Model Training' is not a purpose code: use up to 64 lower-case letters, digits, hyphens and underscores, starting with a letter or digit, for example model-training."]},
        ),
        ({"code": "new", "name": "X", "lawful_basis": "consent"}, {"code": ["'new' is reserved; choose another code."]}),
        (
            {"code": "x", "name": "", "lawful_basis": "because"},
            {"name": ["Give the name."], "lawful_basis": ["Unknown lawful basis 'because'. Use one of: consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests."]},
        ),
        (
            {"code": "x", "name": "X", "lawful_basis": "consent", "consent_required": False},
            {"consent_required": ["A purpose whose lawful basis is consent always requires consent."]},
        ),
    ],
)
def test_bad_purposes_are_refused_by_field(dpo, values, errors):
    with pytest.raises(ValidationError) as refused:
        create_purpose(actor=dpo, **values)

    assert refused.value.message_dict == errors
    assert not Purpose.objects.exists()


def test_a_code_is_used_once(dpo, purpose):
    with pytest.raises(ValidationError) as refused:
        create_purpose(actor=dpo, code="marketing", name="Again", lawful_basis="consent")

    assert refused.value.message_dict == {"code": ["A purpose with the code 'marketing' already exists."]}


def test_an_update_records_what_changed(dpo, purpose):
    update_purpose(actor=dpo, purpose=purpose, name="Marketing", description="Offers by email.", active=False)

    purpose.refresh_from_db()
    assert (purpose.name, purpose.active, purpose.code) == ("Marketing", False, "marketing")
    event = AuditEvent.objects.filter(action="purpose.updated").get()
    assert event.data == {
        "code": "marketing",
        "changes": {"name": {"from": "Marketing emails", "to": "Marketing"}, "active": {"from": True, "to": False}, "description": {"changed": True}},
    }


def test_an_update_without_change_records_nothing(dpo, purpose):
    update_purpose(actor=dpo, purpose=purpose, name="Marketing emails")

    assert not AuditEvent.objects.filter(action="purpose.updated").exists()


def test_moving_to_the_consent_basis_keeps_consent_required(dpo):
    purpose = create_purpose(actor=dpo, code="analytics", name="Analytics", lawful_basis="legitimate_interests", consent_required=False)

    with pytest.raises(ValidationError) as refused:
        update_purpose(actor=dpo, purpose=purpose, lawful_basis="consent")

    assert refused.value.message_dict == {"consent_required": ["A purpose whose lawful basis is consent always requires consent."]}


def test_a_notice_with_text_is_pinned_by_the_texts_digest(dpo, purpose):
    notice = publish_notice(actor=dpo, purpose=purpose, version="v2", language="en-GB", text="New offers.", url="https://example.org/privacy")

    assert notice.sha256 == hashlib.sha256(b"New offers.").hexdigest()
    event = AuditEvent.objects.filter(action="notice.published").order_by("-sequence").first()
    assert event.data["sha256"] == notice.sha256
    assert (event.data["purpose"], event.data["version"], event.data["language"]) == ("marketing", "v2", "en-GB")


def test_a_notice_with_only_a_url_is_pinned_by_the_urls_digest(dpo, purpose):
    notice = publish_notice(actor=dpo, purpose=purpose, version="v2", url="https://example.org/privacy/v2")

    assert notice.sha256 == hashlib.sha256(b"https://example.org/privacy/v2").hexdigest()
    assert notice.text == "" and notice.effective_at <= timezone.now()


def test_a_version_is_published_once(dpo, purpose):
    with pytest.raises(ValidationError) as refused:
        publish_notice(actor=dpo, purpose=purpose, version="v1", text="Changed text.")

    assert refused.value.message_dict == {
        "version": ["marketing already has a notice version v1; notices are never changed, so publish a new version."]
    }
    assert PrivacyNotice.objects.get(purpose=purpose, version="v1").text == "We will email you offers."


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"version": "v2"}, {"text": ["Give the notice's text or its URL."]}),
        ({"version": "", "text": "x"}, {"version": ["Give the version."]}),
        ({"version": "v2", "url": "ftp://example.org/x"}, {"url": ["Give the notice's address as a full http or https URL."]}),
        ({"version": "v2", "text": "x", "language": "english please"}, {"language": ["Give the language as a tag such as en, de or en-GB."]}),
        ({"version": "v2", "text": "x", "effective_at": datetime(2026, 1, 1)}, {"effective_at": ["Give the effective date with its time zone."]}),
    ],
)
def test_bad_notices_are_refused_by_field(dpo, purpose, values, errors):
    with pytest.raises(ValidationError) as refused:
        publish_notice(actor=dpo, purpose=purpose, **values)

    assert refused.value.message_dict == errors


def test_a_future_notice_may_be_published_ahead(dpo, purpose):
    notice = publish_notice(actor=dpo, purpose=purpose, version="v2", text="x", effective_at=timezone.now() + timedelta(days=30))

    assert notice.effective_at > timezone.now()
