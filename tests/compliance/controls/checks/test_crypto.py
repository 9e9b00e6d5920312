"""Check of key management: the active field-encryption key is younger than 365 days."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.controls.checks import key_records
from compliance.controls.checks.registry import on
from compliance.controls.models import EncryptionKeyRecord
from compliance.crypto.keyring import get_keyring

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_id():
    return get_keyring().active.key_id


def test_the_first_run_records_when_the_key_was_first_seen_and_passes(evaluate, key_id):
    now = timezone.now()

    outcome = evaluate("crypto.key_age", now=now)

    record = EncryptionKeyRecord.objects.get(key_id=key_id)
    assert (record.in_use_since, record.source) == (now, "observed")
    assert outcome.status == "pass"
    assert outcome.summary == (
        f"The active field-encryption key {key_id} has been in use for at least 0 days "
        f"(since {on(now)}, first seen active by the automated checks); the limit is 365 days."
    )
    event = AuditEvent.objects.get(action="controls.encryption_key_recorded")
    assert event.data["key_id"] == key_id and event.data["source"] == "observed"
    # Seen again later: the first sighting stands, and nothing more is recorded.
    evaluate("crypto.key_age", now=now + timedelta(days=3))
    assert EncryptionKeyRecord.objects.get(key_id=key_id).in_use_since == now
    assert AuditEvent.objects.filter(action="controls.encryption_key_recorded").count() == 1


def test_fails_when_the_key_is_a_year_old(evaluate, key_id, make_user):
    since = timezone.now() - timedelta(days=400)
    key_records.state_key_in_use_since(actor=make_user(None, username="operator"), key_id=key_id, since=since)

    outcome = evaluate("crypto.key_age")

    assert outcome.status == "fail"
    assert outcome.summary == (
        f"The active field-encryption key {key_id} has been in use for 400 days (since {on(since)}, stated by an operator); "
        "the limit is 365 days. Rotate it: generate_encryption_key, put the new key first, then rotate_encryption_keys."
    )
    assert [item.label for item in outcome.failing] == [f"Field-encryption key {key_id} (400 days old)"]


def test_an_operator_cannot_state_a_future_date(key_id):
    with pytest.raises(ValidationError) as refused:
        key_records.state_key_in_use_since(actor=None, key_id=key_id, since=timezone.now() + timedelta(days=1))
    assert refused.value.message_dict == {"since": ["A key cannot have come into use in the future."]}
