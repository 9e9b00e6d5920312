"""Checks of erasure requests: none overdue now, and at least 95% answered on time over the last 90 days."""

from datetime import datetime, timedelta

from django.urls import reverse

from compliance.controls.checks.registry import (
    MAX_FAILING_LISTED,
    CheckOutcome,
    FailingObject,
    check,
    failed,
    is_are,
    judge,
    no_data,
    on,
    passed,
    plural,
)
from consent.erasure.selectors import completed_late_between, completion_counts, overdue_counts, overdue_requests

ON_TIME_TARGET = 0.95
ON_TIME_WINDOW = timedelta(days=90)


def _request_link(request, note: str) -> FailingObject:
    return FailingObject(
        label=f"Erasure request {request.reference} ({request.get_regulation_display()}, {note})",
        url=reverse("erasure:request_detail", args=[request.pk]),
    )


def _lateness(request) -> str:
    late = request.completed_at - request.due_at
    return plural(late.days, "day") if late.days else "less than a day"


@check(
    key="erasure.none_overdue",
    title="No erasure request is overdue",
    description=(
        "No open erasure request has passed its statutory deadline with its clock running "
        "(GDPR Art. 12(3): one month, extendable by two; CCPA: 45 days, extendable by 45)."
    ),
)
def none_overdue(*, now: datetime) -> CheckOutcome:
    counts = overdue_counts(now=now)
    if counts.open == 0:
        return passed("No erasure request is open.")
    return judge(
        overdue_requests(now=now),
        count=counts.overdue,
        summary=lambda count: f"{count} of {plural(counts.open, 'open erasure request')} {is_are(count)} overdue.",
        entry=lambda request: _request_link(request, f"due {on(request.due_at)}, {plural((now - request.due_at).days, 'day')} late"),
    )


@check(
    key="erasure.on_time_rate",
    title="Erasure requests are completed on time",
    description=(
        "At least 95% of the erasure requests completed in the last 90 days were completed by their due date "
        "(extensions and pauses included). No data when none was completed."
    ),
)
def on_time_rate(*, now: datetime) -> CheckOutcome:
    window_start = now - ON_TIME_WINDOW
    counts = completion_counts(after=window_start, until=now)
    total, late = counts.total, counts.late
    if total == 0:
        return no_data("No erasure request was completed in the last 90 days.")
    on_time = total - late
    rate = on_time / total
    summary = (
        f"{on_time} of {plural(total, 'erasure request')} completed in the last 90 days "
        f"{'was' if on_time == 1 else 'were'} on time ({rate:.1%}; the target is {ON_TIME_TARGET:.0%})."
    )
    if rate >= ON_TIME_TARGET:
        return passed(summary)
    late_requests = completed_late_between(after=window_start, until=now)
    return failed(
        summary,
        [_request_link(request, f"completed {_lateness(request)} after its due date") for request in late_requests[:MAX_FAILING_LISTED]],
        total=late,
    )
