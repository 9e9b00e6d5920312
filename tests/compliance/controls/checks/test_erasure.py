"""Checks of erasure requests: none overdue now; at least 95% completed on time over the last 90 days."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.controls.checks.registry import on
from consent.erasure import services
from consent.erasure.models import ErasureRequest
from consent.services import upsert_subject
from tests.compliance.controls.checks.conftest import labels, urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_request(dpo):
    """``make_request(**fields)`` files a GDPR request for a new subject, then sets ``fields`` on it directly."""
    count = iter(range(1, 10_000))

    def build(**fields):
        subject = upsert_subject(actor=dpo, external_id=f"subject-{next(count)}", jurisdiction="GB").subject
        request = services.receive_erasure_request(actor=dpo, subject=subject, source="browser")
        if fields:
            ErasureRequest.objects.filter(pk=request.pk).update(**fields)
            request.refresh_from_db()
        return request

    return build


def completed(make_request, *, days_ago: int, late_by: timedelta):
    """A request completed ``days_ago`` days ago, ``late_by`` after its due date (negative: before it)."""
    done = timezone.now() - timedelta(days=days_ago)
    return make_request(status="completed", completed_at=done, due_at=done - late_by)


def test_none_overdue_passes_when_no_request_is_open(evaluate):
    outcome = evaluate("erasure.none_overdue")

    assert (outcome.status, outcome.summary) == ("pass", "No erasure request is open.")


def test_none_overdue_passes_with_open_requests_within_their_deadline(evaluate, make_request):
    make_request()
    # Paused clocks stand still: a request waiting on the requester is not overdue.
    make_request(due_at=timezone.now() - timedelta(days=3), paused_at=timezone.now() - timedelta(days=5))
    # Closed requests are judged by the on-time rate, not here.
    make_request(status="completed", due_at=timezone.now() - timedelta(days=3), completed_at=timezone.now())

    outcome = evaluate("erasure.none_overdue")

    assert (outcome.status, outcome.summary) == ("pass", "0 of 2 open erasure requests are overdue.")


def test_none_overdue_fails_naming_the_late_request(evaluate, make_request):
    make_request()
    late = make_request(due_at=timezone.now() - timedelta(days=4, hours=1))

    outcome = evaluate("erasure.none_overdue")

    assert outcome.status == "fail"
    assert outcome.summary == "1 of 2 open erasure requests is overdue."
    assert labels(outcome) == [f"Erasure request #{late.pk} (GDPR / UK GDPR, due {on(late.due_at)}, 4 days late)"]
    assert urls(outcome) == [reverse("erasure:request_detail", args=[late.pk])]


def test_on_time_rate_has_no_data_when_nothing_was_completed_in_90_days(evaluate, make_request):
    make_request()
    completed(make_request, days_ago=120, late_by=timedelta(days=10))

    outcome = evaluate("erasure.on_time_rate")

    assert (outcome.status, outcome.summary) == ("no_data", "No erasure request was completed in the last 90 days.")


def test_on_time_rate_passes_at_95_percent(evaluate, make_request):
    for _ in range(19):
        completed(make_request, days_ago=10, late_by=-timedelta(days=2))
    completed(make_request, days_ago=20, late_by=timedelta(days=1))

    outcome = evaluate("erasure.on_time_rate")

    assert outcome.status == "pass"
    assert outcome.summary == "19 of 20 erasure requests completed in the last 90 days were on time (95.0%; the target is 95%)."


def test_on_time_rate_fails_below_95_percent_listing_the_late_ones(evaluate, make_request):
    for _ in range(9):
        completed(make_request, days_ago=10, late_by=-timedelta(days=2))
    late = completed(make_request, days_ago=5, late_by=timedelta(days=3, hours=2))
    # Outside the window: neither counted nor listed.
    completed(make_request, days_ago=100, late_by=timedelta(days=30))

    outcome = evaluate("erasure.on_time_rate")

    assert outcome.status == "fail"
    assert outcome.summary == "9 of 10 erasure requests completed in the last 90 days were on time (90.0%; the target is 95%)."
    assert labels(outcome) == [f"Erasure request #{late.pk} (GDPR / UK GDPR, completed 3 days after its due date)"]
    assert urls(outcome) == [reverse("erasure:request_detail", args=[late.pk])]
