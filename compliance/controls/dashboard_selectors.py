"""Reads of controls, evidence and scores for the manager dashboard and the reports.

Each read is a fixed number of queries however many rows there are. The score
figures come from ``compliance.controls.scoring`` (the one score), so the
dashboard shows what the assessment list and page show.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from compliance.controls import scoring
from compliance.controls.models import Assessment, AssessmentScope, AutomatedStatus, Control, Evidence, Framework, ScoreSnapshot
from compliance.controls.selectors import EXPIRING_WITHIN_DAYS, VIEW_ASSESSMENT


def _may(user, permission: str) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_perm(permission)


@dataclass(frozen=True)
class MonthScore:
    """A framework's score at the end of a month: the last snapshot taken in it (None: no snapshot that month)."""

    month: date  # the first day of the month
    score: float | None


@dataclass
class FrameworkScore:
    """A framework's current score (its latest organisation-wide assessment) and that assessment's 12-month trend."""

    framework: Framework
    assessment: Assessment | None
    card: scoring.ScoreCard | None
    trend: list[MonthScore] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        return self.card.percent if self.card else None


def month_starts(*, months: int, today: date) -> list[date]:
    """Return the first days of the last ``months`` months, this month last."""
    starts = []
    year, month = today.year, today.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(starts))


def current_assessments() -> dict[int, Assessment]:
    """Return, per framework id, its current organisation-wide assessment: the latest period end, then the newest (one query)."""
    current: dict[int, Assessment] = {}
    for assessment in Assessment.objects.filter(scope=AssessmentScope.ORGANISATION).order_by(
        "framework_id", "-period_end", "-created_at", "-pk"
    ).only("pk", "title", "framework_id", "period_start", "period_end"):
        current.setdefault(assessment.framework_id, assessment)
    return current


def framework_scores(*, user, months: int = 12, today: date | None = None) -> list[FrameworkScore]:
    """Return each framework's current score and monthly trend, by framework code, in eight queries.

    The score is ``scoring.assessment_scores`` of the framework's current
    organisation-wide assessment (so it equals the list and the page); the trend
    is that assessment's last score snapshot of each of the last ``months`` months.
    Empty for a user who may not read assessments.
    """
    if not _may(user, VIEW_ASSESSMENT):
        return []
    today = today or timezone.localdate()
    frameworks = list(Framework.objects.order_by("code"))
    current = current_assessments()
    cards = scoring.assessment_scores(assessment_ids=[assessment.pk for assessment in current.values()], today=today)
    starts = month_starts(months=months, today=today)
    last_of_month: dict[tuple[int, date], float | None] = {}
    for assessment_id, taken_on, score in (
        ScoreSnapshot.objects.filter(assessment_id__in=[a.pk for a in current.values()], taken_on__gte=starts[0])
        .order_by("assessment_id", "taken_on")
        .values_list("assessment_id", "taken_on", "score")
    ):
        last_of_month[(assessment_id, taken_on.replace(day=1))] = float(score) if score is not None else None
    scores = []
    for framework in frameworks:
        assessment = current.get(framework.pk)
        trend = [
            MonthScore(month=start, score=last_of_month.get((assessment.pk, start)) if assessment else None) for start in starts
        ]
        scores.append(FrameworkScore(framework, assessment, cards.get(assessment.pk) if assessment else None, trend))
    return scores


@dataclass(frozen=True)
class ControlFigures:
    """Controls whose automated check fails, the first few of them, and evidence expiring soon or already expired."""

    failing: int
    failing_controls: list[tuple[str, str]]  # (code, title)
    evidence_expiring: int
    evidence_expired: int


def control_figures(*, today: date | None = None, limit: int = 8) -> ControlFigures:
    """Return the failing controls and the evidence expiring within EXPIRING_WITHIN_DAYS (three queries, unscoped)."""
    today = today or timezone.localdate()
    failing = Control.objects.filter(automated_status=AutomatedStatus.FAILING)
    evidence = Evidence.objects.aggregate(
        expiring=Count("pk", filter=Q(expires_on__gte=today, expires_on__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS))),
        expired=Count("pk", filter=Q(expires_on__lt=today)),
    )
    return ControlFigures(
        failing=failing.count(),
        failing_controls=list(failing.order_by("code").values_list("code", "title")[:limit]),
        evidence_expiring=evidence["expiring"],
        evidence_expired=evidence["expired"],
    )
