"""Reads of erasure requests for the automated checks: the completion window and what counts as late."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.erasure.models import ErasureRequest
from consent.erasure.selectors import completed_late_between, completion_counts

pytestmark = pytest.mark.django_db


def test_the_completion_window_excludes_its_start_and_includes_its_end(make_request, make_subject, django_assert_num_queries):
    until = timezone.now()
    after = until - timedelta(days=90)

    def completed_at(moment, *, late: bool):
        request = make_request(subject=make_subject(f"user-{ErasureRequest.objects.count() + 1}"))
        due = moment - timedelta(hours=1) if late else moment + timedelta(hours=1)
        ErasureRequest.objects.filter(pk=request.pk).update(status="completed", completed_at=moment, due_at=due)
        return request

    completed_at(after, late=True)  # on the start: outside
    at_end = completed_at(until, late=True)
    completed_at(until - timedelta(days=1), late=False)
    make_request(subject=make_subject("user-open"))  # open: never counted

    with django_assert_num_queries(1):
        counts = completion_counts(after=after, until=until)

    assert (counts.total, counts.late) == (2, 1)
    assert list(completed_late_between(after=after, until=until)) == [at_end]
