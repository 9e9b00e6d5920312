"""Writes to the audit log: appending events, recording checkpoints and verifications."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.audit.actors import describe_actor, describe_target
from compliance.audit.canonical import chain_hash, event_fields, normalise_payload
from compliance.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, ChainHead, ChainVerification
from compliance.audit.verification import verify_chain


def _locked_head() -> ChainHead:
    """Return the chain head, row-locked until the caller's transaction ends."""
    try:
        return ChainHead.objects.select_for_update().get(pk=1)
    except ChainHead.DoesNotExist:
        # Only after a flush: the migration creates the row. Two creators race
        # safely: the loser's insert fails and it locks the winner's row.
        try:
            with transaction.atomic():
                ChainHead.objects.create(pk=1, sequence=0, hash=GENESIS_HASH)
        except IntegrityError:
            pass
        return ChainHead.objects.select_for_update().get(pk=1)


@transaction.atomic
def record_event(*, actor, action: str, target=None, data: dict[str, Any] | None = None) -> AuditEvent:
    """Append an event to the chain in the caller's transaction and return it.

    ``actor`` is a user, an API key, a ``SystemActor`` or None (the system);
    ``target`` a model instance or a ``(type, id)`` pair; ``data`` a JSON-able
    dict that must hold no personal data in clear.
    """
    if not action or action.strip() != action or "." not in action:
        raise ValueError(f"Audit actions are dotted names like 'erasure.approved', not {action!r}.")
    actor_type, actor_id, actor_label = describe_actor(actor)
    target_type, target_id = describe_target(target)
    payload = normalise_payload(data)
    head = _locked_head()
    sequence = head.sequence + 1
    occurred_at = timezone.now()
    fields = event_fields(
        sequence=sequence,
        occurred_at=occurred_at,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=payload,
    )
    digest = chain_hash(head.hash, fields)
    event = AuditEvent.objects.create(
        sequence=sequence,
        occurred_at=occurred_at,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=payload,
        prev_hash=head.hash,
        hash=digest,
    )
    ChainHead.objects.filter(pk=1).update(sequence=sequence, hash=digest)
    return event


@transaction.atomic
def record_checkpoint(*, sequence: int, hash: str, reason: str) -> AuditCheckpoint:
    """Record a verified head so that cutting the chain's tail below it is detected."""
    return AuditCheckpoint.objects.create(sequence=sequence, hash=hash, reason=reason)


def verify_and_record(*, actor, reason: str) -> ChainVerification:
    """Walk the chain, store the outcome, checkpoint the verified head if intact, and audit it.

    Deliberately not atomic as a whole: the walk reads the entire log, and on
    SQLite a write transaction held for its duration would lock out every other
    writer. The walk runs first; its results are then written in one short
    transaction. The checkpoint records the head that was walked, not the head
    at the time of writing, which later events may have moved on.
    """
    report = verify_chain()
    with transaction.atomic():
        verification = ChainVerification.objects.create(
            intact=report.intact,
            event_count=report.event_count,
            head_hash=report.head_hash,
            first_bad_sequence=report.first_bad_sequence,
            message=report.problem,
        )
        if report.intact and report.head_sequence > 0:
            record_checkpoint(sequence=report.head_sequence, hash=report.head_hash, reason=reason)
        record_event(
            actor=actor,
            action="audit.chain_verified",
            target=verification,
            data={
                "intact": report.intact,
                "event_count": report.event_count,
                "head_hash": report.head_hash,
                "first_bad_sequence": report.first_bad_sequence,
                "reason": reason,
            },
        )
    return verification
