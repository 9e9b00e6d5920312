"""The one compliance score: an assessment's, overall and per section.

Every place that shows a score reads it from here — the assessment list, the
assessment page, the dashboard, the PDF report, the score snapshots — so the
same assessment shows the same figure everywhere.

The rule: compliant + ½ × partially compliant, over the rows minus those not
applicable, as a percentage rounded to one decimal. A row marked compliant (or
partially) whose evidence has all expired counts as not compliant ("evidence
expired"): the claim is no longer backed. (The list used to count raw statuses
and so showed 3.1% where the page, applying the evidence rule, showed 2.5%.)
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from compliance.controls.models import AssessmentStatus, Control, Evidence, RequirementAssessment, Requirement

EVIDENCE_EXPIRED = "evidence_expired"


def score(compliant: int, partial: int, assessable: int, not_applicable: int) -> float | None:
    """Return compliant + 0.5 × partially compliant over assessable minus not applicable, as a percentage; None when nothing counts."""
    counted = assessable - not_applicable
    if counted <= 0:
        return None
    return round(100 * (compliant + 0.5 * partial) / counted, 1)


def counted_status(status: str, *, evidence_count: int, current_evidence_count: int) -> str:
    """Return the status a row counts as: its own, or "evidence expired" when all its evidence has expired."""
    if evidence_count > 0 and current_evidence_count == 0 and status != AssessmentStatus.NOT_APPLICABLE:
        return EVIDENCE_EXPIRED
    return status


@dataclass
class Score:
    """Counts of one assessment (or one section of it) and the percentage they give."""

    label: str
    compliant: int = 0
    partial: int = 0
    not_applicable: int = 0
    total: int = 0
    non_compliant: int = 0
    evidence_expired: int = 0

    def add(self, status: str) -> None:
        """Count one row whose counted status is ``status``."""
        self.total += 1
        if status == AssessmentStatus.COMPLIANT:
            self.compliant += 1
        elif status == AssessmentStatus.PARTIALLY_COMPLIANT:
            self.partial += 1
        elif status == AssessmentStatus.NOT_APPLICABLE:
            self.not_applicable += 1
        elif status == AssessmentStatus.NON_COMPLIANT:
            self.non_compliant += 1
        elif status == EVIDENCE_EXPIRED:
            self.evidence_expired += 1

    @property
    def percent(self) -> float | None:
        return score(self.compliant, self.partial, self.total, self.not_applicable)


@dataclass
class ScoreCard:
    """An assessment's overall score and its score per section (top-level requirement id → Score)."""

    overall: Score
    sections: dict[int, Score] = field(default_factory=dict)
    evidenced: int = 0  # rows backed by at least one piece of evidence, current or expired

    @property
    def percent(self) -> float | None:
        return self.overall.percent


def tally(rows: Iterable[tuple[int, str]], *, section_labels: dict[int, str] | None = None) -> ScoreCard:
    """Return the score card of ``rows``: (section id, counted status) pairs, one per requirement row."""
    section_labels = section_labels or {}
    card = ScoreCard(Score("Overall"))
    for section, status in rows:
        if section not in card.sections:
            card.sections[section] = Score(section_labels.get(section, ""))
        card.sections[section].add(status)
        card.overall.add(status)
    return card


@dataclass
class EvidenceFacts:
    """What the score and the assessment page need to know about requirements' controls and evidence."""

    # (requirement id, control id, control code, control title, control automated status)
    mapping: list[tuple[int, int, str, str, str]]
    # requirement id → {evidence id: still current?}, directly or through a mapped control
    evidence: dict[int, dict[int, bool]]


def evidence_facts(*, requirement_ids: Iterable[int], today: date | None = None) -> EvidenceFacts:
    """Return the controls mapped to the requirements and the evidence behind them, in three queries."""
    today = today or timezone.localdate()
    requirement_ids = list(set(requirement_ids))
    mapping = list(
        Control.requirements.through.objects.filter(requirement_id__in=requirement_ids).values_list(
            "requirement_id", "control_id", "control__code", "control__title", "control__automated_status"
        )
    )
    evidence: dict[int, dict[int, bool]] = defaultdict(dict)
    for requirement_id, evidence_id, expires_on in Evidence.requirements.through.objects.filter(
        requirement_id__in=requirement_ids
    ).values_list("requirement_id", "evidence_id", "evidence__expires_on"):
        evidence[requirement_id][evidence_id] = expires_on is None or expires_on >= today
    by_control: dict[int, dict[int, bool]] = defaultdict(dict)
    for control_id, evidence_id, expires_on in Evidence.controls.through.objects.filter(
        control_id__in={row[1] for row in mapping}
    ).values_list("control_id", "evidence_id", "evidence__expires_on"):
        by_control[control_id][evidence_id] = expires_on is None or expires_on >= today
    for requirement_id, control_id, *_ in mapping:
        evidence[requirement_id].update(by_control.get(control_id, {}))
    return EvidenceFacts(mapping=mapping, evidence=evidence)


def section_roots(*, framework_ids: Iterable[int]) -> dict[int, int]:
    """Return, for every requirement of the frameworks, the id of its top-level ancestor (its section), in one query."""
    parents = dict(Requirement.objects.filter(framework_id__in=set(framework_ids)).values_list("pk", "parent_id"))
    roots: dict[int, int] = {}
    for pk in parents:
        chain = [pk]
        parent = parents[pk]
        while parent is not None and parent not in roots:
            chain.append(parent)
            parent = parents.get(parent)
        root = roots[parent] if parent is not None else chain[-1]
        for node in chain:
            roots[node] = root
    return roots


def assessment_scores(*, assessment_ids: Iterable[int], today: date | None = None) -> dict[int, ScoreCard]:
    """Return the score card of each assessment (overall and per section), in five queries however many there are.

    Assessments without rows get an empty card (percent None).
    """
    assessment_ids = list(assessment_ids)
    if not assessment_ids:
        return {}
    items = list(
        RequirementAssessment.objects.filter(assessment_id__in=assessment_ids).values_list(
            "assessment_id", "requirement_id", "requirement__framework_id", "status"
        )
    )
    facts = evidence_facts(requirement_ids=(row[1] for row in items), today=today)
    roots = section_roots(framework_ids={row[2] for row in items})
    rows: dict[int, list[tuple[int, str]]] = defaultdict(list)
    evidenced: dict[int, int] = defaultdict(int)
    for assessment_id, requirement_id, _, status in items:
        evidence = facts.evidence.get(requirement_id, {})
        evidenced[assessment_id] += 1 if evidence else 0
        counted = counted_status(
            status, evidence_count=len(evidence), current_evidence_count=sum(1 for current in evidence.values() if current)
        )
        rows[assessment_id].append((roots.get(requirement_id, requirement_id), counted))
    cards = {assessment_id: tally(rows.get(assessment_id, [])) for assessment_id in assessment_ids}
    for assessment_id, card in cards.items():
        card.evidenced = evidenced.get(assessment_id, 0)
    return cards


def assessment_score(*, assessment, today: date | None = None) -> ScoreCard:
    """Return one assessment's score card (see ``assessment_scores``)."""
    return assessment_scores(assessment_ids=[assessment.pk], today=today)[assessment.pk]
