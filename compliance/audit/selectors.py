"""Reads of the audit log, for people who hold ``audit.view_auditevent``."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from compliance.audit.canonical import hash_of_event
from compliance.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, ChainHead, ChainVerification

PAGE_SIZE = 50
# Sequence numbers are 64-bit in the database; asking for a larger one fails there.
LARGEST_SEQUENCE = 2**63 - 1
VIEW_PERMISSION = "audit.view_auditevent"


@dataclass(frozen=True)
class EventFilters:
    """What the audit-log page narrows events by; empty values do not filter."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    period_from: date | None = None
    period_to: date | None = None


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, with the cursors of its neighbours.

    ``newer_cursor`` goes in ``?after=``, ``older_cursor`` in ``?before=``; None
    means there is no page that way.
    """

    events: list[AuditEvent]
    newer_cursor: int | None
    older_cursor: int | None


@dataclass(frozen=True)
class EventDetail:
    """One event and what its own row says about its integrity."""

    event: AuditEvent
    recomputed_hash: str
    hash_recomputes: bool
    # Whether prev_hash is the stored hash of the event before (the genesis hash for #1);
    # None when that event is missing.
    follows_previous: bool | None
    has_newer: bool


@dataclass(frozen=True)
class ChainStatus:
    """The chain at a glance: last walk, current head, last checkpoint (each None if there is none)."""

    last_verification: ChainVerification | None
    head: ChainHead | None
    last_checkpoint: AuditCheckpoint | None


def _require_view(user) -> None:
    if not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied("Reading the audit log needs the audit.view_auditevent permission.")


def _start_of_day(day: date) -> datetime:
    # Periods are whole days in the organisation's time zone, not UTC.
    return timezone.make_aware(datetime.combine(day, time.min))


def events_for_user(*, user, filters: EventFilters) -> QuerySet[AuditEvent]:
    """Return the events ``user`` may read that match ``filters``, newest first.

    Raises PermissionDenied for a user without ``audit.view_auditevent``.
    """
    _require_view(user)
    events = AuditEvent.objects.order_by("-sequence")
    if filters.actor:
        events = events.filter(actor_label__icontains=filters.actor)
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
    if filters.target_id:
        events = events.filter(target_id=filters.target_id)
    if filters.period_from:
        events = events.filter(occurred_at__gte=_start_of_day(filters.period_from))
    if filters.period_to:
        events = events.filter(occurred_at__lt=_start_of_day(filters.period_to + timedelta(days=1)))
    return events


def event_page(
    *,
    user,
    filters: EventFilters,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> EventPage:
    """Return one page of matching events by keyset on the sequence number.

    ``before`` gives the page of older events below that sequence number,
    ``after`` the page of newer ones above it; neither gives the newest page.
    Two queries at most, however long the log: no OFFSET and no COUNT.
    """
    matching = events_for_user(user=user, filters=filters)
    if after is not None:
        rows = list(matching.filter(sequence__gt=after).order_by("sequence")[: size + 1])
        events = list(reversed(rows[:size]))
        newer_cursor = events[0].sequence if len(rows) > size else None
        older_boundary = events[-1].sequence if events else after + 1
        older_cursor = older_boundary if matching.filter(sequence__lt=older_boundary).exists() else None
    else:
        window = matching if before is None else matching.filter(sequence__lt=before)
        rows = list(window[: size + 1])
        events = rows[:size]
        older_cursor = events[-1].sequence if len(rows) > size else None
        newer_cursor = None
        if before is not None:
            newer_boundary = events[0].sequence if events else before - 1
            newer_cursor = newer_boundary if matching.filter(sequence__gt=newer_boundary).exists() else None
    return EventPage(events=events, newer_cursor=newer_cursor, older_cursor=older_cursor)


def event_detail_for_user(*, user, sequence: int) -> EventDetail:
    """Return event ``sequence`` with its integrity checks; Http404 if there is no such event."""
    _require_view(user)
    try:
        if sequence > LARGEST_SEQUENCE:
            raise AuditEvent.DoesNotExist
        event = AuditEvent.objects.get(sequence=sequence)
    except AuditEvent.DoesNotExist:
        raise Http404(f"There is no audit event #{sequence}.") from None
    recomputed = hash_of_event(event)
    if event.sequence == 1:
        follows_previous = event.prev_hash == GENESIS_HASH
    else:
        previous_hash = (
            AuditEvent.objects.filter(sequence=event.sequence - 1).values_list("hash", flat=True).first()
        )
        follows_previous = None if previous_hash is None else event.prev_hash == previous_hash
    return EventDetail(
        event=event,
        recomputed_hash=recomputed,
        hash_recomputes=recomputed == event.hash,
        follows_previous=follows_previous,
        has_newer=AuditEvent.objects.filter(sequence=event.sequence + 1).exists(),
    )


def chain_status() -> ChainStatus:
    """Return the last verification, the chain head and the last checkpoint (three queries)."""
    return ChainStatus(
        last_verification=ChainVerification.objects.order_by("-verified_at", "-id").first(),
        head=ChainHead.objects.filter(pk=1).first(),
        last_checkpoint=AuditCheckpoint.objects.order_by("-sequence", "-id").first(),
    )


def _may_read_target(user, target_type: str, target_id: str) -> bool:
    """Return whether ``user`` may view the object an event names (model-level or per-object view permission)."""
    app_label, _, model_name = target_type.partition(".")
    try:
        content_type = ContentType.objects.get_by_natural_key(app_label, model_name)
    except ContentType.DoesNotExist:
        return False
    model = content_type.model_class()
    if model is None:
        return False
    permission = f"{app_label}.view_{model_name}"
    if user.has_perm(permission):
        return True
    target = model._default_manager.filter(pk=target_id).first() if target_id else None
    return target is not None and user.has_perm(permission, target)


def events_for_target(
    *, user, target_type: str, target_id: str, limit: int = PAGE_SIZE, before: int | None = None
) -> EventPage:
    """Return the newest ``limit`` events about one target (below sequence ``before`` when given).

    Readers of the audit log see any target's events; anyone else only those of
    an object they may view (``<app>.view_<model>``, for every object or this
    one), so a dataset's steward reads its history without reading the whole
    log. Raises PermissionDenied otherwise. ``older_cursor`` (for ``before=``)
    is None on the last page.
    """
    target_id = str(target_id)
    if not getattr(user, "is_authenticated", False) or not (
        user.has_perm(VIEW_PERMISSION) or _may_read_target(user, target_type, target_id)
    ):
        raise PermissionDenied("You may not read the history of this record.")
    events = AuditEvent.objects.filter(target_type=target_type, target_id=target_id).order_by("-sequence")
    if before is not None:
        events = events.filter(sequence__lt=before)
    rows = list(events[: limit + 1])
    shown = rows[:limit]
    older_cursor = shown[-1].sequence if len(rows) > limit else None
    return EventPage(events=shown, newer_cursor=None, older_cursor=older_cursor)
