"""The registers Custos exports, what each row holds, and who may take each one away.

Each ``Register`` names its columns, says who may export it (the roles of
DESIGN.md: the DPO, compliance managers and auditors read every register that
holds no personal data in clear; stewards export only the datasets and
locations they were granted) and yields its rows lazily through the owning
app's permission-scoped selectors, in keyset pages of ``BATCH_SIZE`` rows
(``compliance.audit.exports.batched``), so memory stays flat however large the
register and the number of queries grows with pages, never with rows.

What is left out on purpose: storage credentials (never loaded), subjects'
and requesters' identifiers (rights requests carry the subject's pseudonymous
external id only; consent coverage is counts per purpose), free-text notes
about people (verification and rejection notes), evidence files' stored names.
"""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from django.utils import timezone

from compliance.audit import selectors as audit_selectors
from compliance.audit.exports import ExportError, batched
from compliance.controls import check_selectors
from compliance.controls import selectors as controls_selectors
from consent import selectors as consent_selectors
from consent.erasure import access_selectors
from consent.erasure import selectors as erasure_selectors
from datasets import selectors as dataset_selectors

BATCH_SIZE = 1000
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Filter:
    """One filter a register's export accepts as a query parameter: a code, or a date (``kind="date"``)."""

    name: str
    label: str
    kind: str = "code"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Register:
    """One register: its file name, title, columns, who may export it, and how its rows are read."""

    name: str
    title: str
    description: str
    columns: tuple[str, ...]
    may_export: Callable[[Any], bool]
    rows: Callable[..., Iterable[Any]]
    filters: tuple[Filter, ...] = field(default_factory=tuple)

    def parse_filters(self, query: Mapping[str, str]) -> dict[str, Any]:
        """Return the filters given in ``query`` (unknown parameters ignored); raise ExportError for a bad value."""
        parsed: dict[str, Any] = {}
        for wanted in self.filters:
            raw = (query.get(wanted.name) or "").strip()
            if not raw:
                continue
            if wanted.kind == "date":
                try:
                    parsed[wanted.name] = date.fromisoformat(raw)
                except ValueError:
                    raise ExportError(f"{wanted.label}: write a date as YYYY-MM-DD, for example 2026-01-31.") from None
            elif wanted.choices and raw not in wanted.choices:
                raise ExportError(f"{wanted.label}: choose one of {', '.join(wanted.choices)}, not {raw!r}.")
            elif not CODE.match(raw):
                raise ExportError(f"{wanted.label}: write a code (letters, digits, '.', '-', '_'), not {raw!r}.")
            else:
                parsed[wanted.name] = raw
        return parsed


def _has(*permissions: str) -> Callable[[Any], bool]:
    def check(user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and any(user.has_perm(name) for name in permissions)

    return check


def _username(user) -> str:
    return user.get_username() if user is not None else ""


# --- Datasets and storage locations ----------------------------------------------------------

DATASET_COLUMNS = (
    "slug",
    "name",
    "status",
    "owner",
    "sensitivity",
    "data_categories",
    "subject_jurisdictions",
    "regulations",
    "lawful_bases",
    "purposes",
    "retention_days",
    "retention_action",
    "source",
    "collection_channel",
    "encryption_at_rest",
    "encryption_in_transit",
    "anonymisation_technique",
    "anonymisation_k",
    "anonymisation_epsilon",
    "anonymisation_delta",
    "privacy_budget_epsilon",
    "location_count",
    "version_count",
    "created_at",
    "updated_at",
)


def _dataset_row(dataset) -> dict[str, Any]:
    row = {column: getattr(dataset, column, None) for column in DATASET_COLUMNS}
    row["owner"] = _username(dataset.owner)
    return row


def _dataset_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    selected = dataset_selectors.DatasetFilters(
        sensitivity=filters.get("sensitivity", ""),
        regulation=filters.get("regulation", ""),
        missing=filters.get("missing", ""),
        # Every dataset by default: archived data is still held until its retention removes it.
        status=filters.get("status", ""),
    )
    datasets = dataset_selectors.datasets_for_user(user=user, filters=selected)
    return batched(datasets, batch_size=BATCH_SIZE, transform=_dataset_row)


LOCATION_COLUMNS = (
    "id",
    "dataset",
    "name",
    "kind",
    "target",
    "table",
    "path",
    "format",
    "key_pattern",
    "bucket",
    "prefix",
    "endpoint_url",
    "region",
    "subject_key",
    "subject_field",
    "erasure_mode",
    "anonymise_fields",
    "encrypted_at_rest",
    "created_at",
    "updated_at",
)


def _location_row(location) -> dict[str, Any]:
    row = {column: getattr(location, column, None) for column in LOCATION_COLUMNS}
    # The redacted target only: the connection settings (passwords, keys) are never read.
    row["target"] = location.display_target
    row["dataset"] = location.dataset.slug
    return row


def _location_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    return batched(dataset_selectors.locations_for_user(user=user), batch_size=BATCH_SIZE, transform=_location_row)


# --- Consent coverage and rights requests -----------------------------------------------------

CONSENT_COLUMNS = (
    "purpose",
    "name",
    "lawful_basis",
    "consent_required",
    "active",
    "granted",
    "withdrawn",
    "refused",
    "expired",
    "no_answer",
    "counted_at",
)


def _consent_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    # Counts per purpose, never a subject: the coverage is one row per purpose.
    now = timezone.now()
    for coverage in consent_selectors.purposes_with_coverage(user=user, now=now):
        purpose = coverage.purpose
        yield {
            "purpose": purpose.code,
            "name": purpose.name,
            "lawful_basis": purpose.lawful_basis,
            "consent_required": purpose.consent_required,
            "active": purpose.active,
            "granted": coverage.granted,
            "withdrawn": coverage.withdrawn,
            "refused": coverage.refused,
            "expired": coverage.expired,
            "no_answer": coverage.none,
            "counted_at": now,
        }


RIGHTS_COLUMNS = (
    "kind",
    "reference",
    "uid",
    "subject",
    "regulation",
    "clause",
    "source",
    "status",
    "received_at",
    "due_at",
    "extended",
    "paused",
    "verification_method",
    "verified_at",
    "rejection_reason",
    "rejection_clause",
    "rejected_at",
    "finished_at",
    "assignee",
)


def _request_row(request, *, kind: str, reference: str, finished_at) -> dict[str, Any]:
    return {
        "kind": kind,
        "reference": reference,
        "uid": request.uid,
        # The product's pseudonymous id; requesters known only by email or phone have none here.
        "subject": request.subject.external_id if request.subject_id else "",
        "regulation": request.regulation,
        "clause": request.clause,
        "source": request.source,
        "status": request.status,
        "received_at": request.received_at,
        "due_at": request.due_at,
        "extended": request.extended,
        "paused": request.paused_at is not None,
        "verification_method": request.verification_method,
        "verified_at": request.verified_at,
        "rejection_reason": request.rejection_reason,
        "rejection_clause": request.rejection_clause,
        "rejected_at": request.rejected_at,
        "finished_at": finished_at,
        "assignee": _username(request.assignee),
    }


def _erasure_row(request) -> dict[str, Any]:
    return _request_row(request, kind="erasure", reference=f"#{request.pk}", finished_at=request.completed_at)


def _access_row(request) -> dict[str, Any]:
    return _request_row(request, kind="access", reference=f"#A{request.pk}", finished_at=request.generated_at)


# Only what the row shows is read: the requesters' encrypted identifiers and free-text notes stay in the database.
_REQUEST_SKIPPED = ("email", "phone", "requester_contact", "verification_note", "rejection_note", "subject__email", "subject__phone", "subject__name")


def _rights_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    kind = filters.get("kind", "")
    status = filters.get("status", "")
    regulation = filters.get("regulation", "")
    parts = []
    if kind in ("", "erasure"):
        erasure = erasure_selectors.requests_for_user(
            user=user, filters=erasure_selectors.RequestFilters(status=status, regulation=regulation)
        ).defer(*_REQUEST_SKIPPED)
        parts.append(batched(erasure, batch_size=BATCH_SIZE, transform=_erasure_row))
    if kind in ("", "access"):
        access = access_selectors.access_requests_for_user(user=user, status=status).defer(
            *_REQUEST_SKIPPED, "archive_key"
        )
        if regulation:
            access = access.filter(regulation=regulation)
        parts.append(batched(access, batch_size=BATCH_SIZE, transform=_access_row))
    return chain.from_iterable(parts)


def _may_export_rights(user) -> bool:
    return _has("erasure.view_erasurerequest")(user) and _has("erasure.view_accessrequest")(user)


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


def _assessment_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
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
    return batched(items, batch_size=BATCH_SIZE, transform=row)


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


def _evidence_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    evidence = controls_selectors.evidence_list_for_user(user=user).prefetch_related("controls", "requirements__framework")
    return batched(evidence, batch_size=BATCH_SIZE, transform=_evidence_row)


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


def _control_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
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
    return batched(controls, batch_size=BATCH_SIZE, transform=row)


CHECK_COLUMNS = ("check", "title", "status", "summary", "failing_total", "ran_at", "run_by", "controls")


def _check_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
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


def _audit_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    events = audit_selectors.events_for_user(
        user=user,
        filters=audit_selectors.EventFilters(
            action=filters.get("action", ""),
            period_from=filters.get("period_from"),
            period_to=filters.get("period_to"),
        ),
    )
    return batched(events, key="sequence", batch_size=BATCH_SIZE, transform=_audit_row)


# --- The registry ---------------------------------------------------------------------------------

_REGISTERS = (
    Register(
        name="datasets",
        title="Datasets",
        description="The registry: classification, purposes, lawful bases, retention, encryption and anonymisation.",
        columns=DATASET_COLUMNS,
        may_export=_has("datasets.view_dataset", "datasets.add_dataset"),
        rows=_dataset_rows,
        filters=(
            Filter("sensitivity", "Sensitivity"),
            Filter("regulation", "Regulation"),
            Filter("status", "Status", choices=("active", "archived")),
            Filter("missing", "Missing", choices=tuple(dataset_selectors.MISSING_FILTERS)),
        ),
    ),
    Register(
        name="locations",
        title="Storage locations",
        description="Where each dataset is stored, with the redacted target; never connection secrets.",
        columns=LOCATION_COLUMNS,
        may_export=_has("datasets.view_dataset", "datasets.add_dataset"),
        rows=_location_rows,
    ),
    Register(
        name="consent-coverage",
        title="Consent coverage",
        description="Per purpose: subjects who consent now, withdrew, refused, lapsed or never answered. Counts only.",
        columns=CONSENT_COLUMNS,
        may_export=_has("consent.view_consentstate"),
        rows=_consent_rows,
    ),
    Register(
        name="rights-requests",
        title="Rights requests",
        description="Erasure and access requests with their clocks and outcomes; subjects by pseudonymous id only.",
        columns=RIGHTS_COLUMNS,
        may_export=_may_export_rights,
        rows=_rights_rows,
        filters=(
            Filter("kind", "Kind", choices=("erasure", "access")),
            Filter("status", "Status"),
            Filter("regulation", "Regulation"),
        ),
    ),
    Register(
        name="assessments",
        title="Assessments",
        description="Every requirement's status in every assessment, with the assessment's score.",
        columns=ASSESSMENT_COLUMNS,
        may_export=_has("controls.view_assessment"),
        rows=_assessment_rows,
    ),
    Register(
        name="evidence",
        title="Evidence",
        description="Evidence metadata: title, file name as shown, type, size, SHA-256, dates, links. Not the files.",
        columns=EVIDENCE_COLUMNS,
        may_export=_has("controls.view_evidence"),
        rows=_evidence_rows,
    ),
    Register(
        name="controls",
        title="Controls",
        description="Controls with their status, mapped requirements, checks and the checks' latest results.",
        columns=CONTROL_COLUMNS,
        may_export=lambda user: _has("controls.view_control")(user) and _has(check_selectors.VIEW_PERMISSION)(user),
        rows=_control_rows,
    ),
    Register(
        name="checks",
        title="Automated checks",
        description="Every automated check with its latest result.",
        columns=CHECK_COLUMNS,
        may_export=_has(check_selectors.VIEW_PERMISSION),
        rows=_check_rows,
    ),
    Register(
        name="audit-log",
        title="Audit log",
        description="The hash-chained audit log, oldest first, with each event's hashes so the chain can be re-verified.",
        columns=AUDIT_COLUMNS,
        may_export=_has(audit_selectors.VIEW_PERMISSION),
        rows=_audit_rows,
        filters=(
            Filter("action", "Action"),
            Filter("period_from", "From", kind="date"),
            Filter("period_to", "To", kind="date"),
        ),
    ),
)
REGISTERS: dict[str, Register] = {register.name: register for register in _REGISTERS}


def registers_for_user(user) -> list[Register]:
    """Return the registers ``user`` may export, in the Exports page's order."""
    return [register for register in REGISTERS.values() if register.may_export(user)]


def register_for_user(user, name: str) -> Register | None:
    """Return register ``name`` if ``user`` may export it, else None (the view answers 404 for both)."""
    register = REGISTERS.get(name)
    return register if register is not None and register.may_export(user) else None
