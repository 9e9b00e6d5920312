"""The statutory clocks: calendar months, month ends, leap years, extensions, pauses and DST, to the microsecond."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from consent.erasure import clocks

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


@pytest.fixture(autouse=True)
def _london(settings):
    settings.TIME_ZONE = "Europe/London"
    settings.ERASURE_POLICY_DAYS = 30
    settings.ERASURE_DUE_SOON_DAYS = 7


def end_of(year, month, day) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 15), 1, date(2026, 4, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
    ],
)
def test_calendar_months_keep_the_day_or_take_the_month_end(day, months, expected):
    assert clocks.add_calendar_months(day, months) == expected


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (datetime(2026, 3, 15, 9, 30, tzinfo=LONDON), end_of(2026, 4, 15)),
        (datetime(2026, 1, 31, 12, 0, tzinfo=LONDON), end_of(2026, 2, 28)),
        (datetime(2028, 1, 31, 12, 0, tzinfo=LONDON), end_of(2028, 2, 29)),
        (datetime(2026, 8, 31, 8, 0, tzinfo=LONDON), end_of(2026, 9, 30)),
        (datetime(2026, 12, 31, 23, 0, tzinfo=LONDON), end_of(2027, 1, 31)),
    ],
)
def test_gdpr_is_due_at_the_end_of_the_same_day_next_month(received, due):
    assert clocks.due_at(regulation="gdpr", received_at=received) == due


def test_gdpr_counts_the_receipt_day_in_the_organisation_time_zone():
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (BST): due 1 July, not 30 June.
    received = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    assert clocks.due_at(regulation="gdpr", received_at=received) == end_of(2026, 7, 1)


def test_gdpr_extension_adds_two_months_counted_from_receipt():
    received = datetime(2026, 1, 31, 10, 0, tzinfo=LONDON)
    assert clocks.due_at(regulation="gdpr", received_at=received, extended=True) == end_of(2026, 4, 30)
    leap = datetime(2027, 11, 30, 10, 0, tzinfo=LONDON)
    assert clocks.due_at(regulation="gdpr", received_at=leap, extended=True) == end_of(2028, 2, 29)


def test_ccpa_is_due_after_45_days_extendable_by_45():
    received = datetime(2026, 1, 10, 15, 0, tzinfo=LONDON)
    assert clocks.due_at(regulation="ccpa", received_at=received) == end_of(2026, 2, 24)
    assert clocks.due_at(regulation="ccpa", received_at=received, extended=True) == end_of(2026, 4, 10)


def test_policy_days_come_from_settings(settings):
    received = datetime(2026, 1, 10, 15, 0, tzinfo=LONDON)
    assert clocks.due_at(regulation="policy", received_at=received) == end_of(2026, 2, 9)
    settings.ERASURE_POLICY_DAYS = 10
    assert clocks.due_at(regulation="policy", received_at=received) == end_of(2026, 1, 20)
    assert clocks.due_at(regulation="policy", received_at=received, extended=True) == end_of(2026, 1, 30)


def test_unknown_regulation_is_refused():
    with pytest.raises(ValueError, match="Unknown regulation 'hipaa'"):
        clocks.due_at(regulation="hipaa", received_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_a_pause_moves_the_due_moment_by_exactly_its_length():
    received = datetime(2026, 3, 15, 9, 30, tzinfo=LONDON)
    paused = timedelta(days=2, hours=3, minutes=4, seconds=5, microseconds=6)
    due = clocks.due_at(regulation="gdpr", received_at=received, paused_total=paused)
    assert due == end_of(2026, 4, 15) + paused
    assert due - clocks.due_at(regulation="gdpr", received_at=received) == paused


def test_the_due_day_ends_at_local_midnight_on_both_sides_of_a_dst_change():
    # Received in winter (GMT), due in summer (BST): the due moment is 22:59:59.999999 UTC.
    winter = datetime(2026, 3, 10, 12, 0, tzinfo=LONDON)
    due = clocks.due_at(regulation="gdpr", received_at=winter)
    assert due.astimezone(UTC) == datetime(2026, 4, 10, 22, 59, 59, 999999, tzinfo=UTC)
    # Received in the hour before the clocks go forward (01:00 GMT on 29 March 2026).
    before_change = datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)
    assert clocks.due_at(regulation="gdpr", received_at=before_change) == end_of(2026, 4, 29)
    # Received in summer, due after the clocks go back (25 October 2026): 23:59:59.999999 UTC.
    summer = datetime(2026, 10, 20, 12, 0, tzinfo=LONDON)
    due = clocks.due_at(regulation="gdpr", received_at=summer)
    assert due.astimezone(UTC) == datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=UTC)


def test_a_pause_across_a_dst_change_is_exact_elapsed_time():
    received = datetime(2026, 3, 1, 12, 0, tzinfo=LONDON)
    # Noon to noon over the night the clocks go forward is 23 hours of real time.
    paused_from = datetime(2026, 3, 28, 12, 0, tzinfo=LONDON).astimezone(UTC)
    resumed_at = datetime(2026, 3, 29, 12, 0, tzinfo=LONDON).astimezone(UTC)
    assert resumed_at - paused_from == timedelta(hours=23)
    due = clocks.due_at(regulation="gdpr", received_at=received, paused_total=resumed_at - paused_from)
    assert due == end_of(2026, 4, 1).astimezone(UTC) + timedelta(hours=23)


def test_a_pause_moves_a_due_moment_across_a_dst_change_by_real_time():
    # Due at the end of 28 March (GMT); 24 hours of pause ends at 00:59:59.999999 BST on 30 March.
    received = datetime(2026, 2, 28, 12, 0, tzinfo=LONDON)
    due = clocks.due_at(regulation="gdpr", received_at=received, paused_total=timedelta(hours=24))
    assert due.astimezone(LONDON) == datetime(2026, 3, 30, 0, 59, 59, 999999, tzinfo=LONDON)


def test_clock_counts_local_calendar_days_left():
    due = end_of(2026, 4, 15)
    assert clocks.clock(due_at=due, now=datetime(2026, 4, 1, 8, 0, tzinfo=LONDON)).days_left == 14
    assert clocks.clock(due_at=due, now=datetime(2026, 4, 15, 23, 0, tzinfo=LONDON)).label == "Due today"
    late = clocks.clock(due_at=due, now=datetime(2026, 4, 18, 9, 0, tzinfo=LONDON))
    assert (late.days_left, late.overdue, late.due_soon, late.label) == (-3, True, False, "3 days overdue")


def test_due_soon_starts_at_the_configured_number_of_days(settings):
    due = end_of(2026, 4, 15)
    at_eight = clocks.clock(due_at=due, now=datetime(2026, 4, 7, 9, 0, tzinfo=LONDON))
    at_seven = clocks.clock(due_at=due, now=datetime(2026, 4, 8, 9, 0, tzinfo=LONDON))
    assert (at_eight.due_soon, at_eight.label) == (False, "8 days left")
    assert (at_seven.due_soon, at_seven.overdue, at_seven.label) == (True, False, "7 days left")
    settings.ERASURE_DUE_SOON_DAYS = 10
    assert clocks.clock(due_at=due, now=datetime(2026, 4, 7, 9, 0, tzinfo=LONDON)).due_soon
    assert clocks.due_soon_limit(datetime(2026, 4, 7, 9, 0, tzinfo=LONDON)) == end_of(2026, 4, 17)


def test_overdue_starts_the_microsecond_after_the_due_day():
    due = end_of(2026, 4, 15)
    assert not clocks.clock(due_at=due, now=due).overdue
    assert clocks.clock(due_at=due, now=due + timedelta(microseconds=1)).overdue


def test_a_paused_clock_stands_still_and_a_closed_one_is_neither_soon_nor_late():
    due = end_of(2026, 4, 15)
    paused = clocks.clock(due_at=due, now=datetime(2026, 5, 1, tzinfo=LONDON), paused_at=datetime(2026, 4, 5, tzinfo=LONDON))
    assert (paused.days_left, paused.paused, paused.overdue, paused.due_soon, paused.label) == (10, True, False, False, "Paused")
    closed = clocks.clock(due_at=due, now=datetime(2026, 5, 1, tzinfo=LONDON), closed=True)
    assert (closed.overdue, closed.due_soon, closed.label) == (False, False, "Closed")
