"""Dates of training: due dates at the end of a day in the organisation's time zone, and statuses."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from compliance.staff_training.models import Assignment


def end_of_day(day: date) -> datetime:
    """Return the last second of ``day`` in the organisation's time zone: a due date includes its day."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def open_status(due_at: datetime, now: datetime) -> str:
    """Return assigned, due soon or overdue for an open assignment due at ``due_at``."""
    if now > due_at:
        return Assignment.Status.OVERDUE
    if due_at - now <= timedelta(days=settings.TRAINING_DUE_SOON_DAYS):
        return Assignment.Status.DUE_SOON
    return Assignment.Status.ASSIGNED


def expiry_after(completed_at: datetime, valid_days: int | None) -> datetime | None:
    """Return when a completion at ``completed_at`` lapses, or None for a once-only course."""
    return None if valid_days is None else completed_at + timedelta(days=valid_days)
