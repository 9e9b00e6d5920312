"""Reads of subjects, purposes and consent records, scoped to what the user may see.

DPO, compliance managers and auditors read consent records through model-level
view permissions; nobody else does. A missing record and a forbidden one raise
the same Http404. Lists fetch what their rows show in a constant number of
queries, however many subjects there are.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from compliance.crypto.blind_index import NormalisationError, blind_index_candidates
from consent import paging
from consent.models import (
    ConsentEvent,
    ConsentState,
    ConsentStateCount,
    ConsentStatus,
    ConsentWeekCount,
    DataSubject,
    PrivacyNotice,
    Purpose,
    SubjectCount,
)
from datasets.fields import Has
from datasets.models import Dataset, DatasetVersion, StorageLocation, SubjectKey
from datasets.selectors import versions_matching_subject, visible_datasets

VIEW_SUBJECT = "consent.view_datasubject"
VIEW_PURPOSE = "consent.view_purpose"
VIEW_EVENT = "consent.view_consentevent"
NO_SUBJECT = "No such data subject."
NO_PURPOSE = "No such purpose."
NO_EVENT = "No such consent event."
TIMELINE_LIMIT = 500
SUBJECTS_PER_PAGE = 50


# --- The consent check -----------------------------------------------------------------


@dataclass(frozen=True)
class ConsentCheck:
    """The answer to "may we process this person's data for this purpose?".

    ``status`` is the current status (``none`` when Custos has no record, and
    ``expired`` for a grant past its expiry even before the lapse task has
    recorded it). ``allowed`` is true only for a current grant of an active
    purpose.
    """

    subject: str
    purpose: str
    allowed: bool
    status: str
    occurred_at: datetime | None = None
    expires_at: datetime | None = None
    notice_version: str | None = None


NO_RECORD = "none"


def check_consent(*, subject_external_id: str, purpose_code: str, now: datetime | None = None) -> ConsentCheck:
    """Return whether the subject currently consents to the purpose, in exactly one SQL query.

    One indexed lookup: the state row joined to its subject (unique external
    id), purpose (unique code) and notice. An unknown subject or purpose is
    not an error: the answer is not allowed, with status ``none``.
    """
    rows = list(
        ConsentState.objects.filter(subject__external_id=subject_external_id, purpose__code=purpose_code)
        .order_by()
        .values_list("status", "occurred_at", "expires_at", "notice__version", "purpose__active")[:1]
    )
    if not rows:
        return ConsentCheck(subject=subject_external_id, purpose=purpose_code, allowed=False, status=NO_RECORD)
    status, occurred_at, expires_at, notice_version, purpose_active = rows[0]
    now = now or timezone.now()
    if status == ConsentStatus.GRANTED and expires_at is not None and expires_at <= now:
        status = ConsentStatus.EXPIRED
    return ConsentCheck(
        subject=subject_external_id,
        purpose=purpose_code,
        allowed=status == ConsentStatus.GRANTED and purpose_active,
        status=status,
        occurred_at=occurred_at,
        expires_at=expires_at,
        notice_version=notice_version,
    )


# --- Subjects -----------------------------------------------------------------------------


def _granted_now(now: datetime) -> Q:
    return Q(status=ConsentStatus.GRANTED) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _lapsed_now(now: datetime) -> Q:
    return Q(status=ConsentStatus.EXPIRED) | Q(status=ConsentStatus.GRANTED, expires_at__lte=now)


def visible_subjects(user) -> QuerySet[DataSubject]:
    """Return every subject ``user`` may see: all of them with the view permission, none otherwise."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm(VIEW_SUBJECT):
        return DataSubject.objects.none()
    return DataSubject.objects.all()


def search_subjects(*, user, query: str = "") -> QuerySet[DataSubject]:
    """Return the subjects matching ``query``, newest first (ties by external id, descending).

    The query matches an external id exactly or by its beginning, or an email
    address or phone number exactly, through their blind indexes (so the
    identifiers are never decrypted to search). An empty query lists everyone.
    """
    subjects = visible_subjects(user)
    term = query.strip()
    if term:
        condition = Q(external_id__startswith=term)
        for kind, column in (("email", "email_index"), ("phone", "phone_index")):
            try:
                condition |= Q(**{f"{column}__in": blind_index_candidates(term, kind)})
            except NormalisationError:
                continue
        subjects = subjects.filter(condition)
    return subjects.order_by(*paging.ORDER)


def subject_page(
    *, user, query: str = "", cursor: str | None = None, size: int = SUBJECTS_PER_PAGE, now: datetime | None = None
) -> paging.KeysetPage:
    """Return a page of ``search_subjects`` by keyset (``cursor`` from a previous page), each row with ``granted_count``.

    Two queries whatever the page's depth and the number of subjects: the
    page's rows from the cursor's position (``consent.paging``), then the
    current grants of those rows only, grouped by subject. No count of all
    subjects. Raises ``paging.BadCursor`` (with the message to show) for a
    cursor that was changed.
    """
    page = paging.keyset_page(search_subjects(user=user, query=query), cursor=cursor, size=size)
    granted = {}
    if page.rows:
        granted = dict(
            ConsentState.objects.filter(_granted_now(now or timezone.now()), subject__in=[subject.pk for subject in page.rows])
            .order_by()
            .values("subject")
            .annotate(total=Count("pk"))
            .values_list("subject", "total")
        )
    for subject in page.rows:
        subject.granted_count = granted.get(subject.pk, 0)
    return page


def subject_by_external_id(*, external_id: str) -> DataSubject:
    """Return the subject with ``external_id`` for a caller already authorised (an API key by its scope); Http404 if none."""
    subject = DataSubject.objects.filter(external_id=external_id).first()
    if subject is None:
        raise Http404(NO_SUBJECT)
    return subject


def subject_for_user(*, user, external_id: str) -> DataSubject:
    """Return the subject with ``external_id`` if ``user`` may see it; Http404 otherwise (missing or forbidden)."""
    subject = visible_subjects(user).filter(external_id=external_id).first()
    if subject is None:
        raise Http404(NO_SUBJECT)
    return subject


@dataclass(frozen=True)
class PurposeState:
    """A purpose and the subject's current consent to it (None when there is no record)."""

    purpose: Purpose
    state: ConsentState | None

    @property
    def status(self) -> str:
        return self.state.effective_status if self.state else NO_RECORD


def consent_states_for_subject(*, subject: DataSubject) -> list[PurposeState]:
    """Return the subject's current state for every active purpose and every purpose it has a record for.

    Two queries: the states with their purposes, notices and last events, then the other active purposes.
    """
    states = list(
        ConsentState.objects.filter(subject=subject).select_related("purpose", "notice", "last_event").order_by("purpose__name")
    )
    recorded = {state.purpose_id for state in states}
    others = Purpose.objects.filter(active=True).exclude(pk__in=recorded)
    rows = [PurposeState(purpose=state.purpose, state=state) for state in states]
    rows += [PurposeState(purpose=purpose, state=None) for purpose in others]
    return sorted(rows, key=lambda row: (row.purpose.name.casefold(), row.purpose.code))


def consent_timeline(*, subject: DataSubject, limit: int = TIMELINE_LIMIT) -> list[ConsentEvent]:
    """Return the subject's consent events across purposes, newest first (at most ``limit``)."""
    return list(
        ConsentEvent.objects.filter(subject=subject)
        .select_related("purpose", "notice")
        .order_by("-occurred_at", "-recorded_at")[:limit]
    )


@dataclass
class SubjectDataset:
    """A dataset that may hold the subject, and why: versions whose membership filter holds them,
    locations keyed by an identifier they have."""

    dataset: Dataset
    versions: list[DatasetVersion] = field(default_factory=list)
    locations: list[StorageLocation] = field(default_factory=list)


def subject_identifiers(subject: DataSubject) -> dict[str, str]:
    """Return the subject's identifiers by subject-key kind (external id, email, phone), leaving out empty ones."""
    values = {SubjectKey.EXTERNAL_ID: subject.external_id, SubjectKey.EMAIL: subject.email, SubjectKey.PHONE: subject.phone}
    return {str(kind): value for kind, value in values.items() if value}


def datasets_holding_subject(*, user, subject: DataSubject) -> list[SubjectDataset]:
    """Return the datasets ``user`` may see that may hold the subject, by name.

    A dataset qualifies when a version used in training has a membership filter
    that may contain the subject, or when one of its storage locations is keyed
    by an identifier the subject has (so erasure can reach the subject there).
    """
    identifiers = subject_identifiers(subject)
    visible = set(visible_datasets(user).values_list("pk", flat=True))
    found: dict[int, SubjectDataset] = {}
    for version in versions_matching_subject(identifiers=identifiers).containing:
        if version.dataset_id in visible:
            found.setdefault(version.dataset_id, SubjectDataset(dataset=version.dataset)).versions.append(version)
    locations = StorageLocation.objects.filter(dataset_id__in=visible, subject_key__in=list(identifiers)).select_related("dataset")
    for location in locations.order_by("name", "pk"):
        found.setdefault(location.dataset_id, SubjectDataset(dataset=location.dataset)).locations.append(location)
    return sorted(found.values(), key=lambda row: (row.dataset.name.casefold(), row.dataset.pk))


# --- Purposes and notices -----------------------------------------------------------------


def visible_purposes(user) -> QuerySet[Purpose]:
    """Return every purpose ``user`` may see: all of them with the view permission, none otherwise."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm(VIEW_PURPOSE):
        return Purpose.objects.none()
    return Purpose.objects.all()


@dataclass(frozen=True)
class PurposeCoverage:
    """How many subjects consent to a purpose now, and how many withdrew, refused, lapsed or never answered."""

    purpose: Purpose
    granted: int = 0
    withdrawn: int = 0
    refused: int = 0
    expired: int = 0
    none: int = 0


def subject_count() -> int:
    """Return how many data subjects Custos knows, from the maintained count (one single-row read)."""
    return SubjectCount.objects.filter(pk=SubjectCount.SINGLETON).values_list("subjects", flat=True).first() or 0


def _coverage(purposes: list[Purpose], now: datetime) -> list[PurposeCoverage]:
    """Return the coverage of ``purposes`` in three queries, none growing with the consent tables.

    The maintained state counts by purpose and status (``ConsentStateCount``),
    the grants past their expiry the lapse task has not recorded yet (an
    index range on ``consent_state_expiry``, as small as the task's backlog:
    they count as expired, not granted), and the maintained subject count.
    """
    if not purposes:
        return []
    ids = [purpose.pk for purpose in purposes]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for purpose_id, status, subjects in ConsentStateCount.objects.filter(purpose__in=ids).values_list("purpose", "status", "subjects"):
        counts[purpose_id][status] = subjects
    lapsed = dict(
        ConsentState.objects.filter(purpose__in=ids, status=ConsentStatus.GRANTED, expires_at__lte=now)
        .order_by()
        .values("purpose")
        .annotate(total=Count("pk"))
        .values_list("purpose", "total")
    )
    subjects = subject_count()
    coverage = []
    for purpose in purposes:
        row, late = counts[purpose.pk], lapsed.get(purpose.pk, 0)
        coverage.append(
            PurposeCoverage(
                purpose=purpose,
                granted=row[ConsentStatus.GRANTED] - late,
                withdrawn=row[ConsentStatus.WITHDRAWN],
                refused=row[ConsentStatus.REFUSED],
                expired=row[ConsentStatus.EXPIRED] + late,
                none=subjects - sum(row.values()),
            )
        )
    return coverage


def purposes_with_coverage(*, user, now: datetime | None = None) -> list[PurposeCoverage]:
    """Return every purpose ``user`` may see, by name, with its consent coverage (``granted`` is the active consents).

    Four queries whatever the number of subjects, events and purposes: the
    purposes, then ``_coverage``'s three reads of maintained counts (those
    without a state for a purpose count as ``none``).
    """
    return _coverage(list(visible_purposes(user).order_by("name", "code")), now or timezone.now())


def coverage_for_purpose(*, purpose: Purpose, now: datetime | None = None) -> PurposeCoverage:
    """Return one purpose's consent coverage (three queries of maintained counts)."""
    return _coverage([purpose], now or timezone.now())[0]


@dataclass(frozen=True)
class WeekTotal:
    """How many consent events of a status occurred in the week starting ``week`` (a Monday, UTC)."""

    week: date
    events: int


def consent_events_per_week(
    *, user, status: str = ConsentStatus.WITHDRAWN, weeks: int = 12, purpose: Purpose | None = None, now: datetime | None = None
) -> list[WeekTotal]:
    """Return the events of ``status`` per week over the last ``weeks`` weeks (this one last), zeros included.

    Withdrawals by default, across the purposes ``user`` may see (or one
    ``purpose``). One query of the maintained weekly counts
    (``ConsentWeekCount``), whatever the number of events; weeks run Monday to
    Sunday in UTC, by when the person acted (``occurred_at``).
    """
    today = (now or timezone.now()).astimezone(UTC).date()
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    rows = ConsentWeekCount.objects.filter(status=status, week__gte=first, purpose__in=visible_purposes(user))
    if purpose is not None:
        rows = rows.filter(purpose=purpose)
    totals = dict(rows.order_by().values("week").annotate(total=Sum("events")).values_list("week", "total"))
    return [WeekTotal(week=first + timedelta(weeks=n), events=totals.get(first + timedelta(weeks=n), 0)) for n in range(weeks)]


def all_purposes() -> QuerySet[Purpose]:
    """Return every purpose by name, for a caller already authorised (an API key by its scope)."""
    return Purpose.objects.order_by("name", "code")


def purpose_by_code(*, code: str) -> Purpose:
    """Return the purpose with ``code`` for a caller already authorised (an API key by its scope); Http404 if none."""
    purpose = Purpose.objects.filter(code=code).first()
    if purpose is None:
        raise Http404(NO_PURPOSE)
    return purpose


def purpose_for_user(*, user, code: str) -> Purpose:
    """Return the purpose with ``code`` if ``user`` may see it; Http404 otherwise."""
    purpose = visible_purposes(user).filter(code=code).first()
    if purpose is None:
        raise Http404(NO_PURPOSE)
    return purpose


def consent_based_purposes(*, now: datetime) -> QuerySet[Purpose]:
    """Return the active purposes that ask for consent, each with ``has_current_notice`` (unordered, unscoped: for the checks).

    A notice is current when it took effect at or before ``now``: one published
    with a future effective date does not yet inform anyone.
    """
    return Purpose.objects.filter(active=True, consent_required=True).annotate(
        has_current_notice=Exists(PrivacyNotice.objects.filter(purpose=OuterRef("pk"), effective_at__lte=now))
    )


def consent_based_purposes_without_notice(*, now: datetime) -> QuerySet[Purpose]:
    """Return the active consent-based purposes with no privacy notice in effect at ``now``, by name (name and code only)."""
    return consent_based_purposes(now=now).filter(has_current_notice=False).only("name", "code").order_by("name", "code")


def notices_for_purpose(*, purpose: Purpose) -> QuerySet[PrivacyNotice]:
    """Return the purpose's notices, newest effective first, with how many consent events name each.

    ``event_count`` reads the maintained count (``NoticeEventCount``, one row
    per notice joined in), not the events: constant however many there are.
    """
    return (
        PrivacyNotice.objects.filter(purpose=purpose)
        .select_related("created_by")
        .annotate(event_count=Coalesce(F("event_tally__events"), Value(0)))
        .order_by("-effective_at", "-pk")
    )


def datasets_for_purpose(*, purpose_code: str, user=None) -> QuerySet[Dataset]:
    """Return the datasets that list ``purpose_code`` among their purposes, by name.

    Datasets name the purposes they feed (``Dataset.purposes``), the one source
    of truth for the link. With ``user``, only the datasets they may see.
    """
    datasets = Dataset.objects.all() if user is None else visible_datasets(user)
    return datasets.filter(Has(F("purposes"), purpose_code)).order_by("name", "pk")


# --- Events ------------------------------------------------------------------------------


def event_for_user(*, user, pk) -> ConsentEvent:
    """Return consent event ``pk`` (a UUID) if ``user`` may see it; Http404 otherwise (missing, malformed or forbidden)."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm(VIEW_EVENT):
        raise Http404(NO_EVENT)
    try:
        key = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
    except ValueError:
        raise Http404(NO_EVENT) from None
    event = ConsentEvent.objects.select_related("subject", "purpose", "notice").filter(pk=key).first()
    if event is None:
        raise Http404(NO_EVENT)
    return event


def events_for_subject(*, subject: DataSubject) -> list[ConsentEvent]:
    """Return all the subject's consent events, oldest first, with purposes and notices (for receipts)."""
    return list(ConsentEvent.objects.filter(subject=subject).select_related("purpose", "notice").order_by("occurred_at", "recorded_at"))
