"""Rows of the compliance registers: assessments, evidence, controls, checks, staff training and the audit log.

Read through the owning apps' permission-scoped selectors, a page at a time.
Left out on purpose: evidence files and their stored names, assessment notes,
employees (training is counts per course and policy).
"""

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils import timezone

from compliance.audit import selectors as audit_selectors
from compliance.audit.exports import batched
from compliance.controls import check_selectors
from compliance.controls import selectors as controls_selectors
from compliance.reports.exports import paging
from compliance.staff_training import selectors as training_selectors


def _username(user) -> str:
    return user.get_username() if user is not None else ""


# --- Assessments, evidence, controls and checks -------------------------------------------------

ASSESSMENT_COLUMNS = (
    "assessment_id",
    "assessment",
    "framework",
    "scope",
    "dataset",
    "period_start",
    "period_end",
    "assessment_score_percent",
    "requirement",
    "requirement_title",
    "status",
    "justification",
    "needs_review",
    "due_date",
    "owner",
    "updated_at",
)


def assessment_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    # The one score (compliance.controls.scoring), the same the list, the page and the dashboard show.
    assessment_ids = list(controls_selectors.assessments_for_user(user=user).values_list("pk", flat=True))
    scores = controls_selectors.scoring.assessment_scores(assessment_ids=assessment_ids)

    def row(item) -> dict[str, Any]:
        assessment = item.assessment
        card = scores.get(assessment.pk)
        return {
            "assessment_id": assessment.pk,
            "assessment": assessment.title,
            "framework": assessment.framework.code,
            "scope": assessment.scope,
            "dataset": assessment.dataset.slug if assessment.dataset_id else "",
            "period_start": assessment.period_start,
            "period_end": assessment.period_end,
            "assessment_score_percent": round(card.percent, 1) if card and card.percent is not None else None,
            "requirement": item.requirement.ref,
            "requirement_title": item.requirement.title,
            "status": item.status,
            "justification": item.justification,
            "needs_review": item.needs_review,
            "due_date": item.due_date,
            "owner": _username(item.owner),
            "updated_at": item.updated_at,
        }

    items = controls_selectors.requirement_assessments_for_user(user=user).defer("notes")
    return batched(items, batch_size=paging.BATCH_SIZE, transform=row)


EVIDENCE_COLUMNS = (
    "uid",
    "title",
    "file_name",
    "content_type",
    "size",
    "sha256",
    "effective_date",
    "expires_on",
    "uploaded_by",
    "uploaded_at",
    "controls",
    "requirements",
)


def _evidence_row(evidence) -> dict[str, Any]:
    return {
        "uid": evidence.uid,
        "title": evidence.title,
        # The sanitised display name the evidence pages show (no path); the stored name is never exported.
        "file_name": evidence.original_name,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "effective_date": evidence.effective_date,
        "expires_on": evidence.expires_on,
        "uploaded_by": _username(evidence.uploaded_by),
        "uploaded_at": evidence.uploaded_at,
        "controls": sorted(control.code for control in evidence.controls.all()),
        "requirements": sorted(
            f"{requirement.framework.code}:{requirement.ref}" for requirement in evidence.requirements.all()
        ),
    }


def evidence_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    evidence = controls_selectors.evidence_list_for_user(user=user).prefetch_related("controls", "requirements__framework")
    return batched(evidence, batch_size=paging.BATCH_SIZE, transform=_evidence_row)


CONTROL_COLUMNS = (
    "code",
    "title",
    "status",
    "owner",
    "shipped",
    "checks",
    "automated_status",
    "automated_checked_at",
    "latest_check_results",
    "requirements",
    "updated_at",
)


def control_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    latest = {row.check.key: row.latest for row in check_selectors.check_rows(user=user)}

    def row(control) -> dict[str, Any]:
        results = [f"{key}={latest[key].status}" if latest.get(key) else f"{key}=not_run" for key in control.checks]
        return {
            "code": control.code,
            "title": control.title,
            "status": control.status,
            "owner": _username(control.owner),
            "shipped": control.is_default,
            "checks": list(control.checks),
            "automated_status": control.automated_status,
            "automated_checked_at": control.automated_checked_at,
            "latest_check_results": results,
            "requirements": sorted(
                f"{requirement.framework.code}:{requirement.ref}" for requirement in control.requirements.all()
            ),
            "updated_at": control.updated_at,
        }

    controls = controls_selectors.controls_for_user(user=user).prefetch_related("requirements__framework")
    return batched(controls, batch_size=paging.BATCH_SIZE, transform=row)


CHECK_COLUMNS = ("check", "title", "status", "summary", "failing_total", "ran_at", "run_by", "controls")


def check_rows_export(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    # One row per registered check (a few dozen): its latest result.
    for row in check_selectors.check_rows(user=user):
        latest = row.latest
        yield {
            "check": row.check.key,
            "title": row.check.title,
            "status": latest.status if latest else "not_run",
            "summary": latest.summary if latest else "",
            "failing_total": latest.failing_total if latest else None,
            "ran_at": latest.ran_at if latest else None,
            "run_by": latest.run_by if latest else "",
            "controls": [control.code for control in row.controls],
        }


# --- Training -------------------------------------------------------------------------------------

TRAINING_COLUMNS = ("kind", "code", "title", "version", "required", "completed", "overdue", "completed_percent", "counted_at")


def _percent(share: float | None) -> float | None:
    return round(share * 100, 1) if share is not None else None


def training_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    # Completion per course and per policy version in force (staff_training's one overview): counts, no employee.
    now = timezone.now()
    overview = training_selectors.compliance_overview(user=user, now=now)
    for figure in overview.by_course:
        yield {
            "kind": "course",
            "code": figure.course.code,
            "title": figure.course.title,
            "version": "",
            "required": figure.required,
            "completed": figure.completed,
            "overdue": figure.overdue,
            "completed_percent": _percent(figure.share),
            "counted_at": now,
        }
    for figure in overview.by_policy:
        yield {
            "kind": "policy",
            "code": figure.policy.code,
            "title": figure.policy.title,
            "version": figure.version.version,
            "required": figure.required,
            "completed": figure.completed,
            "overdue": figure.overdue,
            "completed_percent": _percent(figure.share),
            "counted_at": now,
        }


# --- Audit log ------------------------------------------------------------------------------------

AUDIT_COLUMNS = (
    "sequence",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor",
    "action",
    "target_type",
    "target_id",
    "data",
    "prev_hash",
    "hash",
)


def _audit_row(event) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at,
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        # The payload holds no personal data in clear (record_event's contract).
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def audit_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    events = audit_selectors.events_for_user(
        user=user,
        filters=audit_selectors.EventFilters(
            action=filters.get("action", ""),
            period_from=filters.get("period_from"),
            period_to=filters.get("period_to"),
        ),
    )
    return batched(events, key="sequence", batch_size=paging.BATCH_SIZE, transform=_audit_row)
