"""Reads of access requests and their per-location results, scoped to what the user may see.

The DPO, compliance managers and auditors read them (``view_accessrequest``);
nobody else does. Missing and forbidden both raise the same Http404. The
list fetches what its rows show in a constant number of queries.
"""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from consent.erasure import clocks

from consent.erasure.access_models import AccessRequest, AccessResult

VIEW_ACCESS = "erasure.view_accessrequest"
NO_ACCESS_REQUEST = "No such access request."


def visible_access_requests(user) -> QuerySet[AccessRequest]:
    """Return every access request ``user`` may see: all of them with the view permission, none otherwise."""
    if not (getattr(user, "is_authenticated", False) and user.has_perm(VIEW_ACCESS)):
        return AccessRequest.objects.none()
    return AccessRequest.objects.all()


def access_requests_for_user(
    *, user, status: str = "", regulation: str = "", due: str = "", now: datetime | None = None
) -> QuerySet[AccessRequest]:
    """Return the access requests ``user`` may see, soonest due first, with subject and assignee (one query).

    ``status`` is a status or ``open`` (any open status); ``due`` is ``soon`` or
    ``overdue`` on the running clock, as on the erasure list.
    """
    now = now or timezone.now()
    requests = visible_access_requests(user).select_related("subject", "assignee")
    if status == "open":
        requests = requests.filter(status__in=AccessRequest.OPEN_STATUSES)
    elif status:
        requests = requests.filter(status=status)
    if regulation:
        requests = requests.filter(regulation=regulation)
    running = Q(status__in=AccessRequest.OPEN_STATUSES, paused_at__isnull=True)
    if due == "soon":
        requests = requests.filter(running, due_at__gte=now, due_at__lte=clocks.due_soon_limit(now))
    elif due == "overdue":
        requests = requests.filter(running, due_at__lt=now)
    return requests.order_by("due_at", "pk")


def access_request_for_user(*, user, pk) -> AccessRequest:
    """Return access request ``pk`` if ``user`` may see it; Http404 otherwise (missing, malformed or forbidden)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404(NO_ACCESS_REQUEST) from None
    request = visible_access_requests(user).select_related("subject", "assignee").filter(pk=key).first()
    if request is None:
        raise Http404(NO_ACCESS_REQUEST)
    return request


def access_request_by_id(*, pk) -> AccessRequest:
    """Return access request ``pk`` for a caller already authorised (an API key by its scope); Http404 if none."""
    request = AccessRequest.objects.select_related("subject").filter(pk=pk).first()
    if request is None:
        raise Http404(NO_ACCESS_REQUEST)
    return request


def results_for_request(*, request: AccessRequest) -> list[AccessResult]:
    """Return the request's per-location results with their locations and datasets, in archive order (one query)."""
    return list(
        request.results.select_related("location", "location__dataset").order_by(
            "location__dataset__name", "location__name", "pk"
        )
    )
