"""The canonical form of an event that its hash is computed over."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def normalise_payload(data: dict[str, Any] | None) -> dict[str, Any]:
    """Return ``data`` as it will read back from a JSON column (dates as strings, and so on)."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def canonical_json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)


def event_fields(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_type: str,
    actor_id: str,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "data": data,
    }


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """Return ``sha256(prev_hash ‖ canonical JSON)`` as hex."""
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


def hash_of_event(event) -> str:
    """Recompute the hash an AuditEvent row should carry."""
    return chain_hash(
        event.prev_hash,
        event_fields(
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            actor_type=event.actor_type,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            data=event.data,
        ),
    )
