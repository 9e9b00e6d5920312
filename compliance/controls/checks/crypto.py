"""Checks of key management: the active field-encryption key is younger than 365 days."""

from datetime import datetime, timedelta

from compliance.controls.checks.key_records import record_active_key
from compliance.controls.checks.registry import CheckOutcome, FailingObject, check, failed, on, passed, plural
from compliance.controls.models.checks import EncryptionKeyRecord
from compliance.crypto.keyring import get_keyring

MAX_KEY_AGE = timedelta(days=365)


@check(
    key="crypto.key_age",
    title="The field-encryption key is rotated yearly",
    description=(
        "The active field-encryption key (the first of FIELD_ENCRYPTION_KEYS) has been in use for less than "
        "365 days. Its start is the date an operator stated, or else the first time the checks saw it active."
    ),
)
def key_age(*, now: datetime) -> CheckOutcome:
    record = record_active_key(key_id=get_keyring().active.key_id, now=now)
    age = now - record.in_use_since
    observed = record.source == EncryptionKeyRecord.Source.OBSERVED
    since = f"{'at least ' if observed else ''}{plural(age.days, 'day')} (since {on(record.in_use_since)}, {record.get_source_display().lower()})"
    summary = f"The active field-encryption key {record.key_id} has been in use for {since}; the limit is {MAX_KEY_AGE.days} days."
    if age < MAX_KEY_AGE:
        return passed(summary)
    return failed(
        summary + " Rotate it: generate_encryption_key, put the new key first, then rotate_encryption_keys.",
        [FailingObject(label=f"Field-encryption key {record.key_id} ({age.days} days old)")],
    )
