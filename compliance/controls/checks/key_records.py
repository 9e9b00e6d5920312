"""The bookkeeping of the key-age check: when each field-encryption key came into use.

The check ``crypto.key_age`` records a key the first time it sees it active;
an operator may state the real date instead (``manage.py record_encryption_key``).
It lives in the checks package, beside the registry whose actor it records as,
so the check imports it without a cycle through ``check_services``.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.controls.checks.registry import CHECKS_ACTOR
from compliance.controls.models.checks import EncryptionKeyRecord


@transaction.atomic
def record_active_key(*, key_id: str, now: datetime) -> EncryptionKeyRecord:
    """Return the record of when key ``key_id`` came into use, recording ``now`` the first time the key is seen."""
    record, created = EncryptionKeyRecord.objects.get_or_create(
        key_id=key_id, defaults={"in_use_since": now, "source": EncryptionKeyRecord.Source.OBSERVED, "recorded_at": now}
    )
    if created:
        record_event(
            actor=CHECKS_ACTOR,
            action="controls.encryption_key_recorded",
            target=record,
            data={"key_id": key_id, "in_use_since": now.isoformat(), "source": record.source},
        )
    return record


@transaction.atomic
def state_key_in_use_since(*, actor, key_id: str, since: datetime) -> EncryptionKeyRecord:
    """Record the date key ``key_id`` came into use as an operator states it (replacing what the checks observed)."""
    if timezone.is_naive(since):
        raise ValidationError({"since": ["Give the date with its time zone."]})
    if since > timezone.now():
        raise ValidationError({"since": ["A key cannot have come into use in the future."]})
    previous = EncryptionKeyRecord.objects.filter(key_id=key_id).first()
    record, _ = EncryptionKeyRecord.objects.update_or_create(
        key_id=key_id,
        defaults={"in_use_since": since, "source": EncryptionKeyRecord.Source.STATED, "recorded_at": timezone.now()},
    )
    record_event(
        actor=actor,
        action="controls.encryption_key_recorded",
        target=record,
        data={
            "key_id": key_id,
            "in_use_since": since.isoformat(),
            "source": record.source,
            "previously": previous.in_use_since.isoformat() if previous else None,
        },
    )
    return record
