"""Reads of the controls app for the PDF audit report: evidence references and check history, in bulk."""

from collections import defaultdict
from datetime import datetime

from django.core.exceptions import PermissionDenied

from compliance.controls import scoring
from compliance.controls.models import CheckResult, Control, Evidence

VIEW_EVIDENCE = "controls.view_evidence"
VIEW_CHECKS = "controls.view_checkresult"


def evidence_by_requirement(*, user, requirement_ids: list[int]) -> dict[int, list[Evidence]]:
    """Return the evidence behind each requirement, directly or through a mapped control (three queries).

    Each list is newest first and holds each piece of evidence once. Raises
    PermissionDenied for a user without ``controls.view_evidence``.
    """
    if not user.has_perm(VIEW_EVIDENCE):
        raise PermissionDenied("Reading evidence needs the controls.view_evidence permission.")
    linked: dict[int, set[int]] = defaultdict(set)
    for requirement_id, evidence_id in Evidence.requirements.through.objects.filter(
        requirement_id__in=requirement_ids
    ).values_list("requirement_id", "evidence_id"):
        linked[requirement_id].add(evidence_id)
    requirements_by_control: dict[int, set[int]] = defaultdict(set)
    for requirement_id, control_id in Control.requirements.through.objects.filter(
        requirement_id__in=requirement_ids
    ).values_list("requirement_id", "control_id"):
        requirements_by_control[control_id].add(requirement_id)
    through_controls = Evidence.controls.through.objects.filter(control_id__in=list(requirements_by_control))
    for control_id, evidence_id in through_controls.values_list("control_id", "evidence_id"):
        for requirement_id in requirements_by_control[control_id]:
            linked[requirement_id].add(evidence_id)
    wanted = {evidence_id for ids in linked.values() for evidence_id in ids}
    evidence = {
        item.pk: item
        for item in Evidence.objects.filter(pk__in=wanted).only(
            "pk", "uid", "title", "effective_date", "expires_on", "uploaded_at", "sha256"
        )
    }
    return {
        requirement_id: sorted((evidence[pk] for pk in ids if pk in evidence), key=lambda item: (item.uploaded_at, item.pk), reverse=True)
        for requirement_id, ids in linked.items()
    }


def check_results_between(*, user, after: datetime, until: datetime) -> dict[str, list[CheckResult]]:
    """Return the automated-check results stored in [after, until), by check key, oldest first (one query).

    Raises PermissionDenied for a user without ``controls.view_checkresult``.
    """
    if not user.has_perm(VIEW_CHECKS):
        raise PermissionDenied("Reading the automated checks needs the controls.view_checkresult permission.")
    history: dict[str, list[CheckResult]] = defaultdict(list)
    results = CheckResult.objects.filter(ran_at__gte=after, ran_at__lt=until).only(
        "check_key", "ran_at", "status", "summary", "failing_total"
    )
    for result in results.order_by("check_key", "ran_at", "pk"):
        history[result.check_key].append(result)
    return dict(history)


def check_keys_by_control(*, control_codes: set[str]) -> dict[str, list[str]]:
    """Return the automated-check keys each control names, by control code (one query)."""
    return {code: list(checks) for code, checks in Control.objects.filter(code__in=control_codes).values_list("code", "checks")}


def assessment_scores_for_report(*, assessment_ids: list[int]) -> dict[int, scoring.ScoreCard]:
    """Return each assessment's score card from the one score function (compliance.controls.scoring).

    The caller has already read the assessments through ``assessments_for_user``.
    """
    return scoring.assessment_scores(assessment_ids=assessment_ids)
