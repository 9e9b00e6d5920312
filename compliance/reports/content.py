"""What each section of an audit report shows, read from every app through its selectors.

The report reads with the permissions of ``report.requested_by``: a section the
requester may not read says so instead of failing the report. Identifiers of
people never appear: rights requests name subjects by the product's
pseudonymous id, and nothing else of theirs.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from compliance import charts
from compliance.audit import report_selectors as audit_report_selectors
from compliance.audit.selectors import chain_status
from compliance.controls import report_selectors as controls_report_selectors
from compliance.controls import selectors as controls_selectors
from compliance.crypto import signing
from compliance.reports.models import AuditReport
from compliance.reports.sections import BY_NAME, SECTIONS
from compliance.staff_training import selectors as training_selectors
from consent import selectors as consent_selectors
from consent.erasure import access_selectors, selectors as erasure_selectors
from datasets import report_selectors as datasets_report_selectors


@dataclass(frozen=True)
class Unavailable:
    """A section the requester may not read: the report says why instead of showing it."""

    reason: str


@dataclass
class FrameworkPart:
    """One framework in the report: its latest assessment over the period, score, rows, evidence and checks."""

    framework: object
    assessment: object | None = None
    percent: float | None = None
    # [{"requirement": top-level requirement, "rows": [(assessment row, its evidence newest first)]}]
    sections: list = field(default_factory=list)


def period_bounds(report: AuditReport) -> tuple[datetime, datetime]:
    """Return [start, end) of the report's period as aware datetimes: whole days in the organisation's time zone."""
    start = timezone.make_aware(datetime.combine(report.period_start, time.min))
    end = timezone.make_aware(datetime.combine(report.period_end + timedelta(days=1), time.min))
    return start, end


def _framework_parts(reader, report: AuditReport) -> list[FrameworkPart]:
    """Read each requested framework with its latest assessment whose period overlaps the report's."""
    frameworks = {framework.code: framework for framework in controls_selectors.frameworks_for_user(user=reader)}
    assessments = controls_selectors.assessments_for_user(user=reader).filter(
        framework__code__in=report.frameworks,
        period_start__lte=report.period_end,
        period_end__gte=report.period_start,
    )
    latest = {}
    for assessment in assessments:  # newest first
        latest.setdefault(assessment.framework.code, assessment)
    cards = controls_report_selectors.assessment_scores_for_report(assessment_ids=[a.pk for a in latest.values()])
    return [
        FrameworkPart(
            framework=frameworks[code],
            assessment=latest.get(code),
            percent=cards[latest[code].pk].percent if code in latest else None,
        )
        for code in report.frameworks
        if code in frameworks
    ]


def _require(reader, *permissions: str) -> Unavailable | None:
    missing = [permission for permission in permissions if not reader.has_perm(permission)]
    if missing:
        return Unavailable(f"Not included: {report_reader_label(reader)} may not read this ({', '.join(missing)}).")
    return None


def report_reader_label(reader) -> str:
    return f"the requester ({reader.get_username()})"


def summary(reader, report: AuditReport, shared: dict) -> dict:
    """Return the scores per framework with their chart, and headline figures of the other sections."""
    refused = _require(reader, "controls.view_assessment")
    if refused:
        return {"unavailable": refused}
    parts = shared.setdefault("frameworks", _framework_parts(reader, report))
    data = [
        charts.Datum(
            label=part.framework.name,
            value=part.percent or 0,
            tone="ok" if (part.percent or 0) >= 80 else "warn" if (part.percent or 0) >= 50 else "bad",
            display="no assessment" if part.percent is None else f"{part.percent:.1f}%",
        )
        for part in parts
    ]
    chart = charts.bar_chart(
        chart_id="report-scores",
        title="Compliance score per framework",
        description="Compliant plus half of partially compliant requirements, over the assessable ones, for the "
        "latest assessment of each framework covering the period.",
        data=data,
        unit="%",
        max_value=100,
        value_header="Score",
        label_header="Framework",
        empty_message="No framework was selected.",
    )
    return {"parts": parts, "chart": chart}


def frameworks(reader, report: AuditReport, shared: dict) -> dict:
    """Return each framework's requirement rows with controls, evidence references and check history."""
    refused = _require(reader, "controls.view_assessment", "controls.view_evidence", "controls.view_checkresult")
    if refused:
        return {"unavailable": refused}
    parts = shared.setdefault("frameworks", _framework_parts(reader, report))
    start, end = period_bounds(report)
    history = controls_report_selectors.check_results_between(user=reader, after=start, until=end)
    control_codes: set[str] = set()
    for part in parts:
        if part.assessment is None:
            continue
        page = controls_selectors.assessment_page(assessment=part.assessment)
        requirement_ids = [row.item.requirement_id for section in page.sections for row in section.rows]
        evidence = controls_report_selectors.evidence_by_requirement(user=reader, requirement_ids=requirement_ids)
        part.sections = [
            {
                "requirement": section.requirement,
                "rows": [(row, evidence.get(row.item.requirement_id, [])) for row in section.rows],
            }
            for section in page.sections
        ]
        control_codes |= {state.code for section in page.sections for row in section.rows for state in row.controls}
    checks_by_control = controls_report_selectors.check_keys_by_control(control_codes=control_codes)
    check_keys = sorted({key for keys in checks_by_control.values() for key in keys})
    return {
        "parts": parts,
        "check_history": [(key, history.get(key, [])) for key in check_keys],
        "checks_by_control": checks_by_control,
    }


def _median_days(durations: list[timedelta]) -> float | None:
    return round(statistics.median(d.total_seconds() / 86400 for d in durations), 1) if durations else None


def rights(reader, report: AuditReport, shared: dict) -> dict:
    """Return erasure and access requests received in the period: figures per kind and regulation, and the list."""
    refused = _require(reader, "erasure.view_erasurerequest", "erasure.view_accessrequest")
    if refused:
        return {"unavailable": refused}
    start, end = period_bounds(report)
    now = timezone.now()
    rows = []
    stats = defaultdict(lambda: {"received": 0, "completed": 0, "on_time": 0, "open": 0, "overdue": 0, "durations": []})
    erasure = erasure_selectors.requests_for_user(user=reader).filter(received_at__gte=start, received_at__lt=end)
    for request in erasure.select_related("subject").order_by("received_at", "pk"):
        finished = request.completed_at
        rows.append(_rights_row("Erasure", request, finished, now))
    access = access_selectors.access_requests_for_user(user=reader).filter(received_at__gte=start, received_at__lt=end)
    for request in access.order_by("received_at", "pk"):
        rows.append(_rights_row("Access", request, request.generated_at, now))
    for row in rows:
        figures = stats[(row["kind"], row["regulation"])]
        figures["received"] += 1
        if row["finished"]:
            figures["completed"] += 1
            figures["on_time"] += row["on_time"]
            figures["durations"].append(row["finished"] - row["received"])
        elif row["open"]:
            figures["open"] += 1
            figures["overdue"] += row["overdue"]
    table = [
        {
            "kind": kind,
            "regulation": regulation,
            **{name: value for name, value in figures.items() if name != "durations"},
            "median_days": _median_days(figures["durations"]),
            "on_time_share": round(100 * figures["on_time"] / figures["completed"], 1) if figures["completed"] else None,
        }
        for (kind, regulation), figures in sorted(stats.items())
    ]
    return {"rows": rows, "stats": table}


def _rights_row(kind: str, request, finished, now) -> dict:
    return {
        "kind": kind,
        "reference": request.reference,
        "regulation": request.get_regulation_display(),
        "status": request.get_status_display(),
        # The product's pseudonymous id; a request known only by the identifiers given shows none of them.
        "subject": request.subject.external_id if request.subject_id else "",
        "received": request.received_at,
        "due": request.due_at,
        "finished": finished,
        "on_time": bool(finished and finished <= request.due_at),
        "open": request.is_open,
        "overdue": bool(request.is_open and request.due_at < now),
    }


def consent(reader, report: AuditReport, shared: dict) -> dict:
    """Return consent coverage per purpose now."""
    refused = _require(reader, "consent.view_purpose", "consent.view_consentstate")
    if refused:
        return {"unavailable": refused}
    coverage = consent_selectors.purposes_with_coverage(user=reader)
    return {"coverage": coverage, "granted_total": sum(item.granted for item in coverage)}


def datasets(reader, report: AuditReport, shared: dict) -> dict:
    """Return the dataset register: classification, location kinds, encryption, retention."""
    refused = _require(reader, "datasets.view_dataset")
    if refused:
        return {"unavailable": refused}
    rows = []
    sensitivity = Counter()
    for dataset in datasets_report_selectors.dataset_register_for_user(user=reader):
        kinds = sorted({location.get_kind_display() for location in dataset.locations.all()})
        sensitivity[dataset.get_sensitivity_display()] += 1
        rows.append({"dataset": dataset, "location_kinds": kinds})
    encrypted = sum(1 for row in rows if row["dataset"].encryption_at_rest)
    return {
        "rows": rows,
        "by_sensitivity": sorted(sensitivity.items()),
        "encrypted_share": round(100 * encrypted / len(rows), 1) if rows else None,
    }


def models(reader, report: AuditReport, shared: dict) -> dict:
    """Return the ML models with their training runs, privacy technique and erasure impact."""
    refused = _require(reader, "datasets.view_mlmodel")
    if refused:
        return {"unavailable": refused}
    entries = datasets_report_selectors.models_with_runs_for_user(user=reader)
    affected = sum(1 for _, runs in entries for run in runs if run.erasure_status in {"affected", "possibly_affected"})
    return {"models": entries, "awaiting_resolution": affected}


def training(reader, report: AuditReport, shared: dict) -> dict:
    """Return staff training completion (issue 6/14's summary)."""
    refused = _require(reader, "staff_training.view_assignment")
    if refused:
        return {"unavailable": refused}
    summary = training_selectors.training_summary(now=timezone.now())
    share = summary.current_share  # a fraction
    return {"summary": summary, "current_percent": None if share is None else share * 100}


def audit(reader, report: AuditReport, shared: dict) -> dict:
    """Return the period's events by action, a fresh walk of the chain, and the head it found, signed."""
    refused = _require(reader, "audit.view_auditevent", "audit.verify_chain")
    if refused:
        return {"unavailable": refused}
    start, end = period_bounds(report)
    walk = audit_report_selectors.chain_verification_for_user(user=reader)
    statement = chain_head_statement(sequence=walk.head_sequence, head_hash=walk.head_hash)
    signature = signing.sign(statement.encode("ascii"))
    shared["chain"] = (walk.head_sequence, walk.head_hash)
    return {
        "actions": audit_report_selectors.action_counts_between(user=reader, after=start, until=end),
        "walk": walk,
        "status": chain_status(),
        "statement": statement,
        "signature": signature,
    }


def chain_head_statement(*, sequence: int, head_hash: str) -> str:
    """Return the text signed for a chain head: ``custos-audit-chain-head:<sequence>:<hash>``."""
    return f"custos-audit-chain-head:{sequence}:{head_hash}"


def definitions(reader, report: AuditReport, shared: dict) -> dict:
    """Return the report's glossary (static)."""
    return {"sections": SECTIONS}


BUILDERS = {
    "summary": summary,
    "frameworks": frameworks,
    "rights": rights,
    "consent": consent,
    "datasets": datasets,
    "models": models,
    "training": training,
    "audit": audit,
    "definitions": definitions,
}


def build_sections(*, reader, report: AuditReport, on_section=None) -> tuple[list[dict], dict]:
    """Return each requested section's content in the report's order, and what sections shared (the chain head read).

    ``on_section(index, total)`` is called after each section.
    """
    shared: dict = {}
    built = []
    names = [name for name in BY_NAME if name in report.sections]
    for index, name in enumerate(names, start=1):
        try:
            content = BUILDERS[name](reader, report, shared)
        except PermissionDenied as refusal:
            content = {"unavailable": Unavailable(f"Not included: {refusal}")}
        built.append({"name": name, "info": BY_NAME[name], "content": content})
        if on_section is not None:
            on_section(index, len(names))
    return built, shared


def organisation_name() -> str:
    """Return the organisation the report is about (the data controller)."""
    return settings.CUSTOS_CONTROLLER_NAME
