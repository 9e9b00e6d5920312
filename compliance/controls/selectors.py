"""Reads of frameworks, controls, assessments and evidence, scoped to what the user may see.

Compliance managers, the DPO and auditors read them through model-level view
permissions; nobody else does. A missing record and a forbidden one raise the
same Http404. Lists and the assessment page fetch what their rows show in a
constant number of queries, however many rows there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from compliance.controls import scoring
from compliance.controls.models import (
    Assessment,
    AssessmentStatus,
    AutomatedStatus,
    Control,
    Evidence,
    Framework,
    Requirement,
    RequirementAssessment,
    RequirementAssessmentChange,
)
from compliance.controls.scoring import EVIDENCE_EXPIRED, Score, score  # noqa: F401  (the one score, re-exported)

VIEW_FRAMEWORK = "controls.view_framework"
VIEW_CONTROL = "controls.view_control"
VIEW_ASSESSMENT = "controls.view_assessment"
VIEW_EVIDENCE = "controls.view_evidence"
MANAGE_CONTROL = "controls.change_control"
NO_FRAMEWORK = "No such framework."
NO_REQUIREMENT = "No such requirement."
NO_CONTROL = "No such control."
NO_ASSESSMENT = "No such assessment."
NO_EVIDENCE = "No such evidence."


def _may(user, permission: str) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_perm(permission)


def _visible(user, permission: str, queryset: QuerySet) -> QuerySet:
    return queryset if _may(user, permission) else queryset.none()


def assignable_owners() -> QuerySet:
    """Return the active users who may own controls and assessments (who read them), by username."""
    granted = Q(groups__permissions__codename="view_assessment", groups__permissions__content_type__app_label="controls")
    return get_user_model().objects.filter(granted | Q(is_superuser=True), is_active=True).distinct().order_by("username")


# --- Frameworks and requirements ---------------------------------------------------------


def frameworks_for_user(*, user) -> QuerySet[Framework]:
    """Return the frameworks with their counts of current (assessable) requirements, in one query."""
    current = Q(requirements__retired_at__isnull=True)
    return _visible(user, VIEW_FRAMEWORK, Framework.objects.all()).annotate(
        requirement_count=Count("requirements", filter=current),
        assessable_count=Count("requirements", filter=current & Q(requirements__assessable=True)),
    )


def framework_for_user(*, user, code: str) -> Framework:
    """Return one framework by code; Http404 if missing or not visible."""
    framework = frameworks_for_user(user=user).filter(code=code).first()
    if framework is None:
        raise Http404(NO_FRAMEWORK)
    return framework


@dataclass
class TreeNode:
    requirement: Requirement
    matched: bool = False


@dataclass
class FrameworkTree:
    """A framework's current requirements in document order, narrowed to a search and the ancestors of its matches."""

    nodes: list[TreeNode]
    query: str
    match_count: int


def _matches(requirement: Requirement, words: list[str]) -> bool:
    haystack = " ".join((requirement.ref, requirement.title, requirement.guidance, requirement.summary)).casefold()
    return all(word in haystack for word in words)


def framework_tree(*, framework: Framework, query: str = "") -> FrameworkTree:
    """Return the tree of ``framework``: all of it, or the requirements matching every word of ``query`` and their ancestors."""
    requirements = list(
        Requirement.objects.filter(framework=framework, retired_at__isnull=True)
        .order_by("position")
        .only("pk", "ref", "title", "guidance", "summary", "assessable", "implementation", "parent_id", "depth", "position")
    )
    words = [word.casefold() for word in query.split()]
    if not words:
        return FrameworkTree(nodes=[TreeNode(requirement) for requirement in requirements], query="", match_count=0)
    parents = {requirement.pk: requirement.parent_id for requirement in requirements}
    matched = {requirement.pk for requirement in requirements if _matches(requirement, words)}
    shown = set(matched)
    for pk in matched:
        parent = parents.get(pk)
        while parent is not None and parent not in shown:
            shown.add(parent)
            parent = parents.get(parent)
    nodes = [TreeNode(requirement, requirement.pk in matched) for requirement in requirements if requirement.pk in shown]
    return FrameworkTree(nodes=nodes, query=query, match_count=len(matched))


def requirement_for_user(*, user, pk: int) -> Requirement:
    """Return one requirement (current or retired) with its framework; Http404 if missing or not visible."""
    requirement = (
        _visible(user, VIEW_FRAMEWORK, Requirement.objects.select_related("framework", "parent")).filter(pk=pk).first()
    )
    if requirement is None:
        raise Http404(NO_REQUIREMENT)
    return requirement


def ancestors_of(requirement: Requirement) -> list[Requirement]:
    """Return the requirement's ancestors, outermost first (one query per level; trees are 3–5 deep)."""
    chain = []
    parent = requirement.parent
    while parent is not None:
        chain.append(parent)
        parent = parent.parent
    return list(reversed(chain))


def requirement_assessments(*, requirement: Requirement) -> QuerySet[RequirementAssessment]:
    """Return where the requirement stands in each assessment, newest assessment first."""
    return (
        RequirementAssessment.objects.filter(requirement=requirement)
        .select_related("assessment", "owner")
        .order_by("-assessment__created_at", "-assessment__pk")
    )


def search_requirements(*, user, query: str, limit: int = 50) -> list[Requirement]:
    """Return current assessable requirements whose framework code, ref or title match every word of ``query``."""
    words = query.split()
    if not words or not _may(user, VIEW_FRAMEWORK):
        return []
    condition = Q()
    for word in words:
        condition &= Q(ref__icontains=word) | Q(title__icontains=word) | Q(framework__code__iexact=word)
    return list(
        Requirement.objects.filter(condition, assessable=True, retired_at__isnull=True)
        .select_related("framework")
        .order_by("framework__code", "position")[:limit]
    )


# --- Controls ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlFilters:
    status: str = ""
    automated_status: str = ""
    query: str = ""


def controls_for_user(*, user, filters: ControlFilters | None = None) -> QuerySet[Control]:
    """Return the controls ``user`` may see, by code, with their owner."""
    filters = filters or ControlFilters()
    controls = _visible(user, VIEW_CONTROL, Control.objects.select_related("owner"))
    if filters.status:
        controls = controls.filter(status=filters.status)
    if filters.automated_status:
        controls = controls.filter(automated_status=filters.automated_status)
    for word in filters.query.split():
        controls = controls.filter(Q(code__icontains=word) | Q(title__icontains=word))
    return controls.order_by("code")


def mapping_counts(controls: list[Control]) -> dict[int, dict[str, int]]:
    """Return, per control id, how many current requirements it maps per framework code (one query)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Control.requirements.through.objects.filter(
            control_id__in=[control.pk for control in controls], requirement__retired_at__isnull=True
        )
        .values("control_id", "requirement__framework__code")
        .annotate(count=Count("pk"))
        .order_by("control_id", "requirement__framework__code")
    )
    for row in rows:
        counts[row["control_id"]][row["requirement__framework__code"]] = row["count"]
    return counts


def control_for_user(*, user, code: str) -> Control:
    """Return one control by code; Http404 if missing or not visible."""
    control = controls_for_user(user=user).filter(code=code).first()
    if control is None:
        raise Http404(NO_CONTROL)
    return control


def mapped_requirements(*, control: Control) -> QuerySet[Requirement]:
    """Return the requirements ``control`` is mapped to, by framework and document order."""
    return control.requirements.select_related("framework").order_by("framework__code", "position")


def evidence_for_control(*, control: Control) -> QuerySet[Evidence]:
    return control.evidence.select_related("uploaded_by").order_by("-uploaded_at")


# --- Assessments ---------------------------------------------------------------------------


def assessments_for_user(*, user) -> QuerySet[Assessment]:
    """Return the assessments ``user`` may see, newest first, with framework, dataset, owner and row counts.

    Their scores come from ``scoring.assessment_scores`` (the one score), not from these counts.
    """
    items = "items"
    return _visible(user, VIEW_ASSESSMENT, Assessment.objects.all()).select_related(
        "framework", "dataset", "owner"
    ).annotate(
        item_count=Count(items),
        review_count=Count(items, filter=Q(items__needs_review=True)),
    ).order_by("-created_at", "-pk")


def assessment_for_user(*, user, pk: int) -> Assessment:
    """Return one assessment; Http404 if missing or not visible."""
    assessment = (
        _visible(user, VIEW_ASSESSMENT, Assessment.objects.select_related("framework", "dataset", "owner", "created_by"))
        .filter(pk=pk)
        .first()
    )
    if assessment is None:
        raise Http404(NO_ASSESSMENT)
    return assessment


def item_for_user(*, user, assessment: Assessment, pk: int) -> RequirementAssessment:
    """Return one row of ``assessment``; Http404 if it is not one of its rows."""
    item = (
        _visible(user, VIEW_ASSESSMENT, RequirementAssessment.objects.select_related("requirement", "owner"))
        .filter(assessment=assessment, pk=pk)
        .first()
    )
    if item is None:
        raise Http404(NO_ASSESSMENT)
    return item


def item_history(*, item: RequirementAssessment) -> QuerySet[RequirementAssessmentChange]:
    return item.changes.select_related("changed_by").order_by("-changed_at", "-pk")


@dataclass
class ControlState:
    code: str
    title: str
    automated_status: str

    @property
    def failing(self) -> bool:
        return self.automated_status == AutomatedStatus.FAILING

    @property
    def label(self) -> str:
        return str(AutomatedStatus(self.automated_status).label)


@dataclass
class Row:
    """One requirement of an assessment as the page shows it: its status, the evidence behind it, its flags."""

    item: RequirementAssessment
    section_pk: int | None
    controls: list[ControlState] = field(default_factory=list)
    evidence_count: int = 0
    current_evidence_count: int = 0

    @property
    def shown_status(self) -> str:
        """The status the row counts as in the score (``scoring.counted_status``)."""
        return scoring.counted_status(
            self.item.status, evidence_count=self.evidence_count, current_evidence_count=self.current_evidence_count
        )

    @property
    def evidence_expired(self) -> bool:
        """All of the evidence linked to the requirement (directly or through a control) is past its expiry."""
        return self.shown_status == EVIDENCE_EXPIRED

    @property
    def shown_status_label(self) -> str:
        return "Evidence expired" if self.evidence_expired else self.item.get_status_display()

    @property
    def compliant_without_evidence(self) -> bool:
        return self.item.status == AssessmentStatus.COMPLIANT and self.evidence_count == 0

    @property
    def not_applicable_without_justification(self) -> bool:
        return self.item.status == AssessmentStatus.NOT_APPLICABLE and not self.item.justification.strip()

    @property
    def automated_failing(self) -> bool:
        return any(control.failing for control in self.controls)

    @property
    def flags(self) -> list[tuple[str, str]]:
        """Return the quality flags of the row as (key, label)."""
        flags = []
        if self.compliant_without_evidence:
            flags.append(("compliant_without_evidence", "Compliant without evidence"))
        if self.evidence_expired:
            flags.append(("evidence_expired", "Evidence expired"))
        if self.not_applicable_without_justification:
            flags.append(("na_without_justification", "Not applicable without justification"))
        if self.item.needs_review:
            flags.append(("needs_review", "Changed by a new catalog version: review"))
        if self.automated_failing:
            flags.append(("automated_failing", "A mapped control's automated check fails"))
        return flags


FLAG_CHOICES = [
    ("compliant_without_evidence", "Compliant without evidence"),
    ("evidence_expired", "Evidence expired"),
    ("na_without_justification", "Not applicable without justification"),
    ("needs_review", "Needs review"),
    ("automated_failing", "Automated check failing"),
]


@dataclass
class Section:
    requirement: Requirement
    rows: list[Row]
    score: Score


@dataclass
class AssessmentPage:
    sections: list[Section]
    overall: Score
    row_count: int
    shown_count: int


@dataclass(frozen=True)
class ItemFilters:
    status: str = ""
    flag: str = ""
    section: int | None = None
    owner: int | None = None


def assessment_page(*, assessment: Assessment, filters: ItemFilters | None = None, today: date | None = None) -> AssessmentPage:
    """Return the assessment's rows grouped by section (top-level node), with flags and scores, in six queries.

    Scores count every row; filters only narrow what is listed. Rows whose
    evidence has all expired count as not compliant ("evidence expired").
    """
    filters = filters or ItemFilters()
    today = today or timezone.localdate()
    tree = {
        pk: (parent_id, pk)
        for pk, parent_id in Requirement.objects.filter(framework_id=assessment.framework_id).values_list("pk", "parent_id")
    }

    def root_of(pk: int) -> int:
        parent = tree[pk][0]
        while parent is not None:
            pk, parent = parent, tree[parent][0]
        return pk

    items = list(
        assessment.items.select_related("requirement", "owner").order_by("requirement__position", "pk")
    )
    requirement_ids = [item.requirement_id for item in items]
    # Controls mapped to the requirements, and the evidence behind requirements and controls.
    facts = scoring.evidence_facts(requirement_ids=requirement_ids, today=today)
    evidence_by_requirement = facts.evidence
    controls_by_requirement: dict[int, list[ControlState]] = defaultdict(list)
    for requirement_id, _control_id, code, title, automated in facts.mapping:
        controls_by_requirement[requirement_id].append(ControlState(code, title, automated))

    sections_by_root: dict[int, Section] = {}
    roots = {
        requirement.pk: requirement
        for requirement in Requirement.objects.filter(pk__in={root_of(pk) for pk in requirement_ids}).only(
            "pk", "ref", "title", "position"
        )
    }
    overall = Score("Overall")
    shown = 0
    for item in items:
        root = root_of(item.requirement_id)
        evidence = evidence_by_requirement.get(item.requirement_id, {})
        row = Row(
            item=item,
            section_pk=root,
            controls=sorted(controls_by_requirement.get(item.requirement_id, []), key=lambda state: state.code),
            evidence_count=len(evidence),
            current_evidence_count=sum(1 for current in evidence.values() if current),
        )
        section = sections_by_root.get(root)
        if section is None:
            section = sections_by_root[root] = Section(roots[root], [], Score(f"{roots[root].ref} {roots[root].title}"))
        section.score.add(row.shown_status)
        overall.add(row.shown_status)
        if _row_matches(row, filters):
            section.rows.append(row)
            shown += 1
    sections = sorted(sections_by_root.values(), key=lambda section: section.requirement.position)
    return AssessmentPage(sections=sections, overall=overall, row_count=len(items), shown_count=shown)


def _row_matches(row: Row, filters: ItemFilters) -> bool:
    if filters.status and row.shown_status != filters.status:
        return False
    if filters.flag and filters.flag not in {key for key, _ in row.flags}:
        return False
    if filters.section and row.section_pk != filters.section:
        return False
    if filters.owner and row.item.owner_id != filters.owner:
        return False
    return True


def sections_of(*, framework: Framework) -> QuerySet[Requirement]:
    """Return the framework's top-level nodes (the sections an assessment groups by)."""
    return Requirement.objects.filter(framework=framework, parent__isnull=True, retired_at__isnull=True).order_by("position")


def recent_changes(*, assessment: Assessment, limit: int = 20) -> QuerySet[RequirementAssessmentChange]:
    """Return the assessment's latest changes, newest first, with who made them and on which requirement."""
    return (
        RequirementAssessmentChange.objects.filter(item__assessment=assessment)
        .select_related("changed_by", "item__requirement")
        .order_by("-changed_at", "-pk")[:limit]
    )


# --- Evidence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceFilters:
    expiry: str = ""  # "" | "current" | "expiring" | "expired"
    query: str = ""


EXPIRING_WITHIN_DAYS = 30


def evidence_list_for_user(*, user, filters: EvidenceFilters | None = None, today: date | None = None) -> QuerySet[Evidence]:
    """Return the evidence ``user`` may see, newest first, with uploader and link counts (one query)."""
    filters = filters or EvidenceFilters()
    today = today or timezone.localdate()
    evidence = _visible(user, VIEW_EVIDENCE, Evidence.objects.select_related("uploaded_by")).annotate(
        control_count=Count("controls", distinct=True), requirement_count=Count("requirements", distinct=True)
    )
    if filters.expiry == "expired":
        evidence = evidence.filter(expires_on__lt=today)
    elif filters.expiry == "expiring":
        evidence = evidence.filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS))
    elif filters.expiry == "current":
        evidence = evidence.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    for word in filters.query.split():
        evidence = evidence.filter(Q(title__icontains=word) | Q(original_name__icontains=word))
    return evidence.order_by("-uploaded_at", "-pk")


def evidence_item_for_user(*, user, uid) -> Evidence:
    """Return one evidence record by uid; Http404 if missing or not visible."""
    evidence = _visible(user, VIEW_EVIDENCE, Evidence.objects.select_related("uploaded_by")).filter(uid=uid).first()
    if evidence is None:
        raise Http404(NO_EVIDENCE)
    return evidence


def evidence_for_requirement(*, requirement: Requirement) -> QuerySet[Evidence]:
    """Return the evidence behind ``requirement``: linked to it, or to a control mapped to it; newest first."""
    return (
        Evidence.objects.filter(Q(requirements=requirement) | Q(controls__requirements=requirement))
        .distinct()
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-pk")
    )


def evidence_links(*, evidence: Evidence) -> dict:
    """Return the controls and requirements the evidence is linked to."""
    return {
        "controls": list(evidence.controls.order_by("code")),
        "requirements": list(evidence.requirements.select_related("framework").order_by("framework__code", "position")),
    }


# --- Registers for exports -------------------------------------------------------------------


def requirement_assessments_for_user(*, user) -> QuerySet[RequirementAssessment]:
    """Return every requirement's status in every assessment ``user`` may see, with assessment, framework, requirement and owner joined."""
    return _visible(user, VIEW_ASSESSMENT, RequirementAssessment.objects.all()).select_related(
        "assessment__framework", "assessment__dataset", "requirement", "owner"
    ).order_by("assessment_id", "requirement__position", "pk")
