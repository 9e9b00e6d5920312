"""The rights-request figures the dashboard shows (consent.erasure.selectors.rights_request_figures)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.erasure import access_services
from consent.erasure.access_models import AccessRequest
from consent.erasure.models import ErasureRequest
from consent.erasure.selectors import rights_request_figures

pytestmark = pytest.mark.django_db


def figures_of(kind: str, regulation: str, **kwargs):
    return next(f for f in rights_request_figures(**kwargs) if f.kind == kind and f.regulation == regulation)


def test_open_due_soon_overdue_median_and_on_time_per_regulation(make_request, subject, dpo, django_assert_num_queries):
    now = timezone.now()
    requests = [make_request(subject=subject) for _ in range(6)]  # GB subject: GDPR
    ids = [request.pk for request in requests]
    ErasureRequest.objects.filter(pk=ids[0]).update(due_at=now + timedelta(days=3))  # due soon
    ErasureRequest.objects.filter(pk=ids[1]).update(due_at=now - timedelta(days=1))  # overdue
    ErasureRequest.objects.filter(pk=ids[2]).update(due_at=now - timedelta(days=1), paused_at=now - timedelta(days=2))  # paused: not overdue
    # Completed in the window: 2 days (on time), 10 days (on time), 40 days (late); and one completed long ago.
    for pk, days, late in ((ids[3], 2, False), (ids[4], 10, False), (ids[5], 40, True)):
        received = now - timedelta(days=days + 1)
        ErasureRequest.objects.filter(pk=pk).update(
            status="completed", received_at=received, completed_at=received + timedelta(days=days),
            due_at=received + timedelta(days=30 if not late else 20),
        )
    old = make_request(subject=subject)
    ErasureRequest.objects.filter(pk=old.pk).update(status="completed", completed_at=now - timedelta(days=200))

    with django_assert_num_queries(4):
        gdpr = figures_of("erasure", "gdpr", now=now)

    assert (gdpr.open, gdpr.due_soon, gdpr.overdue) == (3, 1, 1)
    assert (gdpr.completed, gdpr.on_time) == (3, 2)
    assert gdpr.median_days == 10.0
    assert gdpr.on_time_share == 66.7
    ccpa = figures_of("erasure", "ccpa", now=now)
    assert (ccpa.open, ccpa.completed, ccpa.median_days, ccpa.on_time_share) == (0, 0, None, None)


def test_access_requests_count_ready_and_expired_as_completed(dpo):
    now = timezone.now()
    request = access_services.receive_access_request(actor=dpo, identifiers={"email": "a@example.com"}, source="browser", requester_contact="a@example.com")
    AccessRequest.objects.filter(pk=request.pk).update(
        status="ready", received_at=now - timedelta(days=5), generated_at=now - timedelta(days=1), due_at=now + timedelta(days=20),
        archive_name="a.zip.enc", archive_sha256="0" * 64, expires_at=now + timedelta(days=6),
    )
    figures = figures_of("access", request.regulation, now=now)
    assert (figures.open, figures.completed, figures.on_time, figures.median_days) == (0, 1, 1, 4.0)


def test_the_lists_behind_the_figures_filter_open_regulation_and_clock(make_request, subject, dpo):
    from consent.erasure.access_selectors import access_requests_for_user
    from consent.erasure.selectors import RequestFilters, requests_for_user

    now = timezone.now()
    erasure = make_request(subject=subject)
    done = make_request(subject=subject)
    ErasureRequest.objects.filter(pk=done.pk).update(status="completed", completed_at=now)
    assert list(requests_for_user(user=dpo, filters=RequestFilters(status="open", regulation="gdpr"))) == [erasure]

    access = access_services.receive_access_request(actor=dpo, subject=subject, source="browser")
    AccessRequest.objects.filter(pk=access.pk).update(due_at=now - timedelta(hours=1))
    assert list(access_requests_for_user(user=dpo, status="open", regulation=access.regulation, due="overdue", now=now)) == [access]
    assert not access_requests_for_user(user=dpo, due="soon", now=now).exists()
    assert not access_requests_for_user(user=dpo, regulation="ccpa").exists()
