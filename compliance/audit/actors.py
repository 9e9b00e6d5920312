"""Who did it: users, API keys, or the system (beat, workers, commands)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    """A process acting on its own, for example ``SystemActor("beat")``."""

    name: str = "system"


SYSTEM = SystemActor()


def describe_actor(actor) -> tuple[str, str, str]:
    """Return (actor type, id, label) for a user, an API key, a SystemActor or None."""
    from compliance.audit.models import AuditEvent

    if actor is None:
        return AuditEvent.ActorType.SYSTEM, "", SYSTEM.name
    if isinstance(actor, SystemActor):
        return AuditEvent.ActorType.SYSTEM, "", actor.name
    if not getattr(actor, "is_authenticated", True) or getattr(actor, "pk", None) is None:
        return AuditEvent.ActorType.ANONYMOUS, "", "anonymous"
    actor_type = getattr(actor, "audit_actor_type", AuditEvent.ActorType.USER)
    return actor_type, str(actor.pk), str(actor)[:150]


def describe_target(target) -> tuple[str, str]:
    """Return (type, id) for a model instance, a (type, id) pair, or None."""
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        target_type, target_id = target
        return str(target_type), str(target_id)
    return target._meta.label_lower, str(target.pk)
