"""Consent receipts: ISO/IEC TS 27560 per event and per subject, Kantara v1.1 per event, with the fields they require."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from consent import receipts
from consent.services import lapse_expired_consents, record_consent
from datasets.services import add_storage_location, create_dataset

pytestmark = pytest.mark.django_db

ISO_FIELDS = {
    "schema_version",
    "record_id",
    "pii_principal_id",
    "purposes",
    "controller",
    "jurisdiction",
    "withdrawal_method",
    "events",
}
ISO_PURPOSE_FIELDS = {"purpose_id", "lawful_basis", "notice", "collection_method", "retention", "storage_locations", "state"}
KANTARA_FIELDS = {
    "version",
    "jurisdiction",
    "consentTimestamp",
    "collectionMethod",
    "consentReceiptID",
    "piiPrincipalId",
    "piiControllers",
    "policyUrl",
    "services",
    "sensitive",
    "spiCat",
}


@pytest.fixture(autouse=True)
def controller(settings):
    settings.CUSTOS_CONTROLLER_NAME = "Example Shop Ltd"
    settings.CUSTOS_CONTROLLER_CONTACT = "dpo@shop.example"
    settings.CUSTOS_CONTROLLER_ADDRESS = "1 High Street, London"
    settings.CUSTOS_WITHDRAWAL_METHOD = "https://shop.example/privacy/settings"
    settings.CUSTOS_PRIVACY_POLICY_URL = "https://shop.example/privacy"


@pytest.fixture
def shop(dpo, tmp_path, settings):
    """A dataset fed by marketing, with health data (sensitive) and a location holding a secret."""
    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(tmp_path)]
    dataset = create_dataset(
        actor=dpo,
        name="Shop customers",
        purposes=["marketing"],
        data_categories=["contact", "health"],
        retention_days=730,
        retention_action="delete",
    )
    add_storage_location(
        actor=dpo,
        dataset=dataset,
        name="shop database",
        kind="postgresql",
        url="postgresql://app:s3cret-password@db.internal:5432/shop",
        table="customers",
        subject_key="email",
        subject_field="email",
    )
    return dataset


@pytest.fixture
def event(dpo, subject, purpose, shop):
    with time_machine.travel(datetime(2026, 3, 1, 9, 30, tzinfo=UTC), tick=False):
        return record_consent(
            actor=dpo,
            subject=subject,
            purpose=purpose,
            status="granted",
            notice_version="v1",
            collection_method="web_form",
            expires_at=timezone.now() + timedelta(days=365),
        )


def test_an_event_receipt_carries_every_iso_field(event, purpose):
    receipt = receipts.iso_receipt_for_event(event)

    assert ISO_FIELDS <= set(receipt)
    assert receipt["schema_version"] == "ISO/IEC TS 27560:2023"
    assert receipt["record_id"] == str(event.pk)
    assert receipt["pii_principal_id"] == "user-1"
    assert receipt["jurisdiction"] == "GB"
    assert receipt["controller"] == {"name": "Example Shop Ltd", "contact": "dpo@shop.example", "address": "1 High Street, London"}
    assert receipt["withdrawal_method"] == "https://shop.example/privacy/settings"
    assert receipt["collection_method"] == "web_form"
    assert receipt["notice"]["version"] == "v1"
    assert receipt["notice"]["sha256"] == hashlib.sha256(b"We will email you offers.").hexdigest()
    assert receipt["notice"]["sha256_of"] == "text"
    (entry,) = receipt["purposes"]
    assert ISO_PURPOSE_FIELDS <= set(entry)
    assert (entry["purpose_id"], entry["lawful_basis"], entry["state"]) == ("marketing", "consent", "valid")
    assert entry["retention"] == [{"dataset": "Shop customers", "retention_days": 730, "at_end": "delete"}]
    assert entry["storage_locations"] == [{"dataset": "Shop customers", "location": "shop database", "kind": "postgresql"}]
    (recorded,) = receipt["events"]
    assert (recorded["time"], recorded["type"], recorded["state"]) == ("2026-03-01T09:30:00+00:00", "granted", "valid")
    assert recorded["expires_at"] == "2027-03-01T09:30:00+00:00"


def test_receipts_never_hold_identifiers_or_secrets(event, subject):
    text = str(receipts.iso_receipt_for_event(event)) + str(receipts.iso_receipt_for_subject(subject))
    text += str(receipts.kantara_receipt_for_event(event))

    # The phone in full, in each form it could take: a four-digit fragment would
    # also match random ids and hashes in the receipt now and then.
    for secret in ("jane", "Jane", "+442079460000", "7946 0000", "79460000", "s3cret-password", "db.internal"):
        assert secret not in text


def test_a_subject_receipt_has_each_purpose_and_every_event(dpo, event, subject, purpose):
    with time_machine.travel(datetime(2026, 4, 1, tzinfo=UTC), tick=False):
        withdrawal = record_consent(actor=dpo, subject=subject, purpose=purpose, status="withdrawn", collection_method="paper", reason="letter")

        receipt = receipts.iso_receipt_for_subject(subject)

    assert ISO_FIELDS <= set(receipt)
    assert receipt["record_id"] == f"subject:{subject.pk}"
    assert receipt["collection_methods"] == ["paper", "web_form"]
    (entry,) = receipt["purposes"]
    assert ISO_PURPOSE_FIELDS <= set(entry)
    assert (entry["status"], entry["state"], entry["collection_method"], entry["notice"]["version"]) == ("withdrawn", "invalid", "paper", "v1")
    assert [(e["event_id"], e["type"], e["state"], e["current"]) for e in receipt["events"]] == [
        (str(event.pk), "granted", "valid", False),
        (str(withdrawal.pk), "withdrawn", "invalid", True),
    ]


def test_an_expired_consent_shows_its_expiry_event(event, subject):
    lapse_expired_consents(now=event.expires_at + timedelta(seconds=1))

    receipt = receipts.iso_receipt_for_subject(subject)

    assert [e["type"] for e in receipt["events"]] == ["granted", "expired"]
    assert receipt["purposes"][0]["status"] == "expired"


def test_a_kantara_receipt_carries_every_v1_1_field(event):
    receipt = receipts.kantara_receipt_for_event(event)

    assert KANTARA_FIELDS <= set(receipt)
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["jurisdiction"] == "GB"
    assert receipt["consentTimestamp"] == int(datetime(2026, 3, 1, 9, 30, tzinfo=UTC).timestamp())
    assert receipt["collectionMethod"] == "Web form"
    assert receipt["consentReceiptID"] == str(event.pk)
    assert receipt["piiPrincipalId"] == "user-1"
    assert receipt["piiControllers"] == [
        {
            "piiController": "Example Shop Ltd",
            "contact": "dpo@shop.example",
            "address": "1 High Street, London",
            "email": "dpo@shop.example",
            "phone": "",
        }
    ]
    assert receipt["policyUrl"] == "https://shop.example/privacy"
    (service,) = receipt["services"]
    assert service["service"] == "Marketing emails"
    (purpose,) = service["purposes"]
    assert purpose["purposeCategory"] == ["marketing"]
    assert purpose["consentType"] == "EXPLICIT"
    assert purpose["piiCategory"] == ["contact", "health"]
    assert purpose["termination"].startswith("Expires at 2027-03-01T09:30:00+00:00; or withdraw: https://shop.example/privacy/settings")
    assert receipt["sensitive"] is True
    assert receipt["spiCat"] == ["health"]


def test_a_notice_url_is_the_kantara_policy_url(dpo, subject, purpose, shop):
    from consent.services import publish_notice

    publish_notice(actor=dpo, purpose=purpose, version="v2", url="https://shop.example/notices/marketing-v2")
    event = record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v2", collection_method="app")

    assert receipts.kantara_receipt_for_event(event)["policyUrl"] == "https://shop.example/notices/marketing-v2"
    assert receipts.iso_receipt_for_event(event)["notice"]["sha256_of"] == "url"
