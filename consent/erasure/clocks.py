"""Statutory clocks: when an erasure request is due, and how much time is left.

Pure functions of their arguments and settings, no database. Deadlines are
computed in the organisation's time zone (``settings.TIME_ZONE``) and fall at
the end of the due day there (23:59:59.999999 local time).

* GDPR Art. 12(3): one calendar month from receipt, the same day of the next
  month or that month's last day when it has no such day (31 January → 28 or
  29 February); extendable once by two further months, counted from receipt
  too (31 January → 30 April), so the month-end clamp of the first month does
  not shorten the extension.
* CCPA §1798.130(a)(2): 45 calendar days from receipt, extendable once by 45
  more (90 from receipt).
* Internal policy: ``settings.ERASURE_POLICY_DAYS`` days from receipt,
  extendable once by as many again.

A paused clock (waiting on the requester) moves the due date by exactly the
time it was paused, to the microsecond: pausing for 3 hours moves the due
moment 3 hours later, which may cross into the next local day.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from consent.jurisdictions import Regime

UTC = ZoneInfo("UTC")
CCPA_DAYS = 45
CCPA_EXTENSION_DAYS = 45
GDPR_MONTHS = 1
GDPR_EXTENSION_MONTHS = 2
DEFAULT_POLICY_DAYS = 30
DEFAULT_DUE_SOON_DAYS = 7


def organisation_zone() -> ZoneInfo:
    """Return the organisation's time zone, in which deadlines are counted."""
    return ZoneInfo(settings.TIME_ZONE)


def policy_days() -> int:
    return int(getattr(settings, "ERASURE_POLICY_DAYS", DEFAULT_POLICY_DAYS))


def due_soon_days() -> int:
    return int(getattr(settings, "ERASURE_DUE_SOON_DAYS", DEFAULT_DUE_SOON_DAYS))


def add_calendar_months(day: date, months: int) -> date:
    """Return the same day ``months`` later, or that month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_day(day: date) -> datetime:
    """Return the last microsecond of ``day`` in the organisation's time zone."""
    return datetime.combine(day, time.max, tzinfo=organisation_zone())


def local_date(moment: datetime) -> date:
    """Return the organisation-time-zone calendar date of an aware ``moment``."""
    return moment.astimezone(organisation_zone()).date()


def due_date(*, regulation: str, received_at: datetime, extended: bool = False) -> date:
    """Return the local calendar day a request received at ``received_at`` is due, before any pause."""
    received = local_date(received_at)
    if regulation == Regime.GDPR:
        # GDPR Art. 12(3): one month, extendable by two further months.
        return add_calendar_months(received, GDPR_MONTHS + (GDPR_EXTENSION_MONTHS if extended else 0))
    if regulation == Regime.CCPA:
        # CCPA §1798.130(a)(2): 45 days, extendable once by 45 with notice to the consumer.
        return received + timedelta(days=CCPA_DAYS + (CCPA_EXTENSION_DAYS if extended else 0))
    if regulation == Regime.POLICY:
        return received + timedelta(days=policy_days() * (2 if extended else 1))
    raise ValueError(f"Unknown regulation {regulation!r}; use one of {', '.join(Regime.values)}.")


def due_at(
    *, regulation: str, received_at: datetime, extended: bool = False, paused_total: timedelta = timedelta(0)
) -> datetime:
    """Return the moment a request is due: the end of its due day, moved by the time its clock was paused."""
    end = end_of_day(due_date(regulation=regulation, received_at=received_at, extended=extended))
    # In UTC: adding to a local time would add wall-clock time, an hour off across a DST change.
    return end.astimezone(UTC) + paused_total


@dataclass(frozen=True)
class Clock:
    """Where a request's clock stands at one moment.

    ``days_left`` counts calendar days in the organisation's time zone from
    today to the due day (0 on the due day, negative once past it). A paused
    clock stands still: its days left are those at the moment it was paused,
    and it is neither due soon nor overdue. A closed request's clock is
    neither.
    """

    due_at: datetime
    days_left: int
    paused: bool
    due_soon: bool
    overdue: bool
    closed: bool = False

    @property
    def label(self) -> str:
        """A short text for badges: "Paused", "3 days overdue", "Due today", "12 days left"."""
        if self.closed:
            return "Closed"
        if self.paused:
            return "Paused"
        if self.overdue:
            late = max(-self.days_left, 0)
            return "Overdue" if late == 0 else f"{late} day{'s' if late != 1 else ''} overdue"
        if self.days_left == 0:
            return "Due today"
        return f"{self.days_left} day{'s' if self.days_left != 1 else ''} left"


def clock(*, due_at: datetime, now: datetime, paused_at: datetime | None = None, closed: bool = False) -> Clock:
    """Return the clock of a request due at ``due_at``, as it stands at ``now``."""
    reference = paused_at or now
    days_left = (local_date(due_at) - local_date(reference)).days
    running = paused_at is None and not closed
    overdue = running and now > due_at
    return Clock(
        due_at=due_at,
        days_left=days_left,
        paused=paused_at is not None and not closed,
        due_soon=running and not overdue and days_left <= due_soon_days(),
        overdue=overdue,
        closed=closed,
    )


def due_soon_limit(now: datetime) -> datetime:
    """Return the latest due moment that counts as due soon at ``now``: the end of today + ERASURE_DUE_SOON_DAYS."""
    return end_of_day(local_date(now) + timedelta(days=due_soon_days()))
