"""Reads of erasure requests and legal holds, scoped to what the user may see.

The DPO, compliance managers and auditors read them through model-level view
permissions; nobody else does. A missing record and a forbidden one raise the
same Http404. Lists fetch what their rows show in a constant number of
queries, however many requests there are.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from consent.erasure import clocks
from consent.erasure.access_models import AccessRequest
from consent.erasure.models import DiscoveryResult, ErasureRequest, ErasureStep, LegalHold
from consent.jurisdictions import Regime
from consent.models import DataSubject
from datasets.models import StorageLocation, SubjectKey

VIEW_REQUEST = "erasure.view_erasurerequest"
VIEW_HOLD = "erasure.view_legalhold"
HANDLE_REQUEST = "erasure.change_erasurerequest"
NO_REQUEST = "No such erasure request."
NO_HOLD = "No such legal hold."
# The status filter value for every open request (any of OPEN_STATUSES).
OPEN = "open"


def _may(user, permission: str) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_perm(permission)


# --- Requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFilters:
    """What the request list is narrowed to; empty values do not filter.

    ``status`` is a status or ``open`` (any open status); ``due`` is ``soon``
    (open, clock running, due within ERASURE_DUE_SOON_DAYS and not yet past) or
    ``overdue`` (open, clock running, past due).
    """

    status: str = ""
    regulation: str = ""
    due: str = ""
    assignee: int | None = None


def visible_requests(user) -> QuerySet[ErasureRequest]:
    """Return every request ``user`` may see: all of them with the view permission, none otherwise."""
    if not _may(user, VIEW_REQUEST):
        return ErasureRequest.objects.none()
    return ErasureRequest.objects.all()


def _running_clock() -> Q:
    return Q(status__in=ErasureRequest.OPEN_STATUSES, paused_at__isnull=True)


def overdue_condition(now: datetime) -> Q:
    return _running_clock() & Q(due_at__lt=now)


def due_soon_condition(now: datetime) -> Q:
    return _running_clock() & Q(due_at__gte=now, due_at__lte=clocks.due_soon_limit(now))


def requests_for_user(*, user, filters: RequestFilters | None = None, now: datetime | None = None) -> QuerySet:
    """Return the requests ``user`` may see, soonest due first, with their subject and assignee (one query)."""
    filters = filters or RequestFilters()
    now = now or timezone.now()
    requests = visible_requests(user).select_related("subject", "assignee")
    if filters.status == OPEN:
        requests = requests.filter(status__in=ErasureRequest.OPEN_STATUSES)
    elif filters.status:
        requests = requests.filter(status=filters.status)
    if filters.regulation:
        requests = requests.filter(regulation=filters.regulation)
    if filters.due == "soon":
        requests = requests.filter(due_soon_condition(now))
    elif filters.due == "overdue":
        requests = requests.filter(overdue_condition(now))
    if filters.assignee:
        requests = requests.filter(assignee_id=filters.assignee)
    return requests.order_by("due_at", "pk")


def request_for_user(*, user, pk) -> ErasureRequest:
    """Return request ``pk`` if ``user`` may see it; Http404 otherwise (missing, malformed or forbidden)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404(NO_REQUEST) from None
    request = visible_requests(user).select_related("subject", "assignee").filter(pk=key).first()
    if request is None:
        raise Http404(NO_REQUEST)
    return request


def request_by_id(*, pk) -> ErasureRequest:
    """Return request ``pk`` for a caller already authorised (an API key by its scope); Http404 if none."""
    request = ErasureRequest.objects.select_related("subject").filter(pk=pk).first()
    if request is None:
        raise Http404(NO_REQUEST)
    return request


def requests_for_subject(*, user, subject: DataSubject) -> QuerySet[ErasureRequest]:
    """Return the subject's requests ``user`` may see, newest first."""
    return visible_requests(user).filter(subject=subject).select_related("assignee").order_by("-received_at", "-pk")


@dataclass(frozen=True)
class ClockCounts:
    """How many open requests are due soon and overdue now."""

    due_soon: int
    overdue: int


def clock_counts(*, user, now: datetime | None = None) -> ClockCounts:
    """Return how many requests ``user`` may see are due soon and overdue (one query)."""
    now = now or timezone.now()
    counts = visible_requests(user).aggregate(
        due_soon=Count("pk", filter=due_soon_condition(now)), overdue=Count("pk", filter=overdue_condition(now))
    )
    return ClockCounts(due_soon=counts["due_soon"], overdue=counts["overdue"])


@dataclass(frozen=True)
class OverdueCounts:
    """How many erasure requests are open, and how many of them are overdue."""

    open: int
    overdue: int


def overdue_counts(*, now: datetime) -> OverdueCounts:
    """Return how many of all erasure requests are open and how many are overdue at ``now`` (one query, unscoped: for the checks)."""
    counts = ErasureRequest.objects.aggregate(
        open=Count("pk", filter=Q(status__in=ErasureRequest.OPEN_STATUSES)), overdue=Count("pk", filter=overdue_condition(now))
    )
    return OverdueCounts(open=counts["open"], overdue=counts["overdue"])


def overdue_requests(*, now: datetime) -> QuerySet[ErasureRequest]:
    """Return every request overdue at ``now``, the earliest due first (unscoped: for the checks)."""
    return ErasureRequest.objects.filter(overdue_condition(now)).order_by("due_at", "pk")


@dataclass(frozen=True)
class CompletionCounts:
    """How many erasure requests were completed in a period, and how many of them after their due date."""

    total: int
    late: int


# Extensions and pauses have already moved ``due_at``: late is completed after the deadline as it finally stood.
_COMPLETED_LATE = Q(completed_at__gt=F("due_at"))


def completed_between(*, after: datetime, until: datetime) -> QuerySet[ErasureRequest]:
    """Return the requests completed after ``after`` and no later than ``until`` (unordered, unscoped: for the checks)."""
    return ErasureRequest.objects.filter(status=ErasureRequest.Status.COMPLETED, completed_at__gt=after, completed_at__lte=until)


def completion_counts(*, after: datetime, until: datetime) -> CompletionCounts:
    """Return how many requests were completed after ``after`` up to ``until``, and how many of them late (one query)."""
    counts = completed_between(after=after, until=until).aggregate(total=Count("pk"), late=Count("pk", filter=_COMPLETED_LATE))
    return CompletionCounts(total=counts["total"], late=counts["late"])


def completed_late_between(*, after: datetime, until: datetime) -> QuerySet[ErasureRequest]:
    """Return the requests completed after their due date, after ``after`` up to ``until``, the latest completed first."""
    return completed_between(after=after, until=until).filter(_COMPLETED_LATE).order_by("-completed_at", "-pk")


def handlers() -> QuerySet:
    """Return the active users who may handle erasure requests (DPOs and administrators), by username."""
    app_label, codename = HANDLE_REQUEST.split(".")
    granted = Q(
        groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label
    ) | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    return get_user_model().objects.filter(granted | Q(is_superuser=True), is_active=True).distinct().order_by("username")


# --- Steps, discovery, locations -----------------------------------------------------------


def steps_for_request(*, request: ErasureRequest) -> list[ErasureStep]:
    """Return the request's steps with their locations, datasets and holds (one query)."""
    return list(
        request.steps.select_related("location", "location__dataset", "legal_hold").order_by(
            "location__dataset__name", "location__name", "pk"
        )
    )


def discovery_for_request(*, request: ErasureRequest) -> list[DiscoveryResult]:
    """Return the request's discovery counts per location (one query)."""
    return list(
        request.discovery_results.select_related("location", "location__dataset").order_by(
            "location__dataset__name", "location__name"
        )
    )


def request_keys(request: ErasureRequest) -> set[str]:
    """Return the kinds of subject key the request can supply: external id for a known subject, email, phone."""
    keys = set()
    subject = request.subject
    if subject is not None:
        keys.add(SubjectKey.EXTERNAL_ID.value)
    if request.email_index or (subject is not None and subject.email_index):
        keys.add(SubjectKey.EMAIL.value)
    if request.phone_index or (subject is not None and subject.phone_index):
        keys.add(SubjectKey.PHONE.value)
    return keys


def applicable_locations(request: ErasureRequest) -> list[StorageLocation]:
    """Return the storage locations that may hold the request's subject: those keyed by an identifier it has."""
    return list(
        StorageLocation.objects.filter(subject_key__in=request_keys(request))
        .select_related("dataset")
        .order_by("dataset__name", "name", "pk")
    )


# --- Legal holds -------------------------------------------------------------------------------


def active_holds(*, now: datetime | None = None) -> QuerySet[LegalHold]:
    """Return the legal holds in force at ``now``: not released and not past their end."""
    now = now or timezone.now()
    return LegalHold.objects.filter(released_at__isnull=True).filter(Q(until__isnull=True) | Q(until__gt=now))


def holds_for_request(request: ErasureRequest, *, datasets=None, now: datetime | None = None) -> list[LegalHold]:
    """Return the active holds on the request's subject or on ``datasets`` (ids), oldest first."""
    condition = Q(dataset__in=list(datasets or []))
    if request.subject_id:
        condition |= Q(subject_id=request.subject_id)
    return list(
        active_holds(now=now).filter(condition).select_related("dataset", "subject", "set_by").order_by("set_at", "pk")
    )


def holds_affecting_request(*, request: ErasureRequest, now: datetime | None = None) -> list[LegalHold]:
    """Return the holds in force on the subject or on a dataset whose locations may hold them."""
    datasets = {location.dataset_id for location in applicable_locations(request)}
    return holds_for_request(request, datasets=datasets, now=now)


HOLD_STATES = ("active", "ended", "all")


def holds_for_user(*, user, state: str = "active", now: datetime | None = None) -> QuerySet[LegalHold]:
    """Return the legal holds ``user`` may see: those in force, those ended (released or expired), or all."""
    if not _may(user, VIEW_HOLD):
        return LegalHold.objects.none()
    now = now or timezone.now()
    holds = LegalHold.objects.select_related("dataset", "subject", "set_by", "released_by")
    in_force = Q(released_at__isnull=True) & (Q(until__isnull=True) | Q(until__gt=now))
    if state == "active":
        holds = holds.filter(in_force)
    elif state == "ended":
        holds = holds.exclude(in_force)
    return holds.order_by("-set_at", "-pk")


def hold_for_user(*, user, pk) -> LegalHold:
    """Return legal hold ``pk`` if ``user`` may see it; Http404 otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404(NO_HOLD) from None
    hold = holds_for_user(user=user, state="all").filter(pk=key).first()
    if hold is None:
        raise Http404(NO_HOLD)
    return hold


def models_affected(*, request: ErasureRequest) -> list[dict]:
    """Return the training runs the request's completion flagged, with their model and current flag.

    Empty until the request completes. ``status`` is the run's flag now, so a run its
    owner has since retrained shows ``resolved``.
    """
    from datasets.models import TrainingRun

    flagged = request.training_runs_flagged or {}
    flagged_as = {run_id: "affected" for run_id in flagged.get("affected", [])}
    flagged_as.update({run_id: "possibly_affected" for run_id in flagged.get("possibly_affected", [])})
    if not flagged_as:
        return []
    runs = TrainingRun.objects.filter(pk__in=flagged_as).select_related("model").order_by("pk")
    return [
        {
            "training_run": run.pk,
            "model": run.model.slug,
            "flagged_as": flagged_as[run.pk],
            "status": run.erasure_status,
        }
        for run in runs
    ]


# --- Figures for the dashboard and reports ----------------------------------------------------


@dataclass(frozen=True)
class RightsFigures:
    """Rights requests of one kind (erasure or access) under one regulation, as the dashboard shows them.

    ``due_soon`` is open, clock running and due within ``due_within_days``;
    ``median_days`` and ``on_time_share`` are over the requests completed in the
    window (``completed``); on time is completed no later than the deadline as
    it finally stood (after extensions and pauses).
    """

    kind: str
    regulation: str
    open: int
    due_soon: int
    overdue: int
    completed: int
    on_time: int
    median_days: float | None

    @property
    def on_time_share(self) -> float | None:
        return round(100 * self.on_time / self.completed, 1) if self.completed else None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    values = sorted(values)
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    return round(median, 1)


def rights_request_figures(*, now: datetime | None = None, due_within_days: int = 7, window_days: int = 90) -> list[RightsFigures]:
    """Return the open, due-soon, overdue, median-days and on-time figures of erasure and access requests per regulation.

    Unscoped (the dashboard's summary is computed for everyone allowed to read
    it). Four queries, whatever the number of requests: one aggregate per kind,
    and per kind the durations of the requests completed in the window (bounded
    by the window, not by the table).
    """
    now = now or timezone.now()
    since = now - timedelta(days=window_days)
    soon = now + timedelta(days=due_within_days)
    kinds = (
        ("erasure", ErasureRequest, Q(status=ErasureRequest.Status.COMPLETED), "completed_at"),
        ("access", AccessRequest, Q(status__in=[AccessRequest.Status.READY, AccessRequest.Status.EXPIRED]), "generated_at"),
    )
    figures = []
    for kind, model, done, finished in kinds:
        running = Q(status__in=model.OPEN_STATUSES, paused_at__isnull=True)
        window = done & Q(**{f"{finished}__gt": since, f"{finished}__lte": now})
        counts = {
            row["regulation"]: row
            for row in model.objects.values("regulation").annotate(
                open=Count("pk", filter=Q(status__in=model.OPEN_STATUSES)),
                due_soon=Count("pk", filter=running & Q(due_at__gte=now, due_at__lte=soon)),
                overdue=Count("pk", filter=running & Q(due_at__lt=now)),
                completed=Count("pk", filter=window),
                on_time=Count("pk", filter=window & Q(**{f"{finished}__lte": F("due_at")})),
            ).order_by()
        }
        durations: dict[str, list[float]] = {}
        for regulation, received_at, finished_at in model.objects.filter(window).values_list(
            "regulation", "received_at", finished
        ):
            durations.setdefault(regulation, []).append((finished_at - received_at).total_seconds() / 86400)
        for regulation in Regime.values:
            row = counts.get(regulation, {})
            figures.append(
                RightsFigures(
                    kind=kind,
                    regulation=regulation,
                    open=row.get("open", 0),
                    due_soon=row.get("due_soon", 0),
                    overdue=row.get("overdue", 0),
                    completed=row.get("completed", 0),
                    on_time=row.get("on_time", 0),
                    median_days=_median(durations.get(regulation, [])),
                )
            )
    return figures
