"""Writes of audit reports: request one, generate it (running, progress, done or failed), download it.

A report moves queued → running → done, or → failed with a reason a person can
read. ``request_report`` enqueues ``reports.generate_report`` by name after
commit; the task calls ``generate_report_now``, which claims the report, reads
each section with the requester's permissions (committing progress as it goes,
so the report's page shows it advance), renders and signs the PDF, and records
``report.generated`` with the file's sha256 in the audit log. Every download of
the PDF or its signature is an audit event.
"""

import hashlib
import logging
from datetime import date, timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from compliance.accounts.models import ApiKey
from compliance.audit.actors import SystemActor
from compliance.audit.selectors import chain_status
from compliance.audit.services import record_event
from compliance.controls import selectors as controls_selectors
from compliance.crypto import signing
from compliance.reports import content, rendering, signature_file, storage
from compliance.reports.models import AuditReport
from compliance.reports.sections import SECTION_NAMES, ordered

logger = logging.getLogger("custos.reports")

GENERATE_TASK = "reports.generate_report"
# Who records what the worker did: the report's own task, not the person who asked.
GENERATOR = SystemActor("reports")
MAX_PERIOD_DAYS = 3 * 366
FRAMEWORK_SECTIONS = frozenset({"summary", "frameworks"})
Status = AuditReport.Status
# Progress: sections are read up to READ_DONE, layout reaches LAID_OUT, the file is written and signed at 100.
READ_DONE = 60
LAID_OUT = 85


class ReportRefused(Exception):
    """The report cannot be given out in its state; the message says why, for a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _clean_codes(values, *, known: list[str], field: str, noun: str, errors: dict, required: bool = True) -> list[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        errors.setdefault(field, []).append(f"Give the {noun}s as a list of names.")
        return []
    values = [str(value).strip() for value in values]
    if not values:
        if required:
            errors.setdefault(field, []).append(f"Choose at least one {noun}.")
        return []
    unknown = sorted({value for value in values if value not in known})
    if unknown:
        errors.setdefault(field, []).append(
            f"Unknown {noun}{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. Known: {', '.join(known) or 'none'}."
        )
    return list(dict.fromkeys(value for value in values if value in known))


def _reader_of(actor):
    """Return the person whose permissions the report reads with: the user, or the API key's creator."""
    if isinstance(actor, ApiKey):
        if actor.created_by is None or not actor.created_by.is_active:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        "This API key has no active owner whose permissions the report could read with (keys made "
                        "with manage.py create_api_key have none): create the key on the API keys page."
                    ]
                }
            )
        return actor.created_by, actor
    return actor, None


@transaction.atomic
def request_report(
    *, actor, period_start: date, period_end: date, frameworks: list[str], sections: list[str]
) -> AuditReport:
    """Queue an audit report of ``period_start``..``period_end`` (inclusive) and enqueue its generation after commit.

    ``actor`` is a user holding ``reports.add_auditreport`` or an API key (scope
    ``reports:write``), whose creator's permissions the report then reads with.
    Raises ValidationError (field → messages) for a reversed or too long
    period, a date in the future, unknown framework codes or unknown section
    names, and no framework when the summary or frameworks section is asked for.
    """
    reader, key = _reader_of(actor)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if period_start and period_end:
        if period_end < period_start:
            errors["period_end"] = [
                f"The period ends ({period_end.isoformat()}) before it starts ({period_start.isoformat()})."
            ]
        elif (period_end - period_start).days >= MAX_PERIOD_DAYS:
            errors["period_end"] = ["A report covers at most three years: shorten the period."]
        if period_start > today:
            errors["period_start"] = [f"The period starts in the future ({period_start.isoformat()}); today is {today.isoformat()}."]
    else:
        for name, value in (("period_start", period_start), ("period_end", period_end)):
            if not value:
                errors[name] = ["Give a date (YYYY-MM-DD)."]
    known_frameworks = list(controls_selectors.frameworks_for_user(user=reader).values_list("code", flat=True))
    section_names = _clean_codes(sections, known=list(SECTION_NAMES), field="sections", noun="section", errors=errors)
    # Frameworks matter to the summary and frameworks sections; a report of the other registers may name none.
    framework_codes = _clean_codes(
        frameworks,
        known=known_frameworks,
        field="frameworks",
        noun="framework",
        errors=errors,
        required=not section_names or bool(FRAMEWORK_SECTIONS & set(section_names)),
    )
    if errors:
        raise ValidationError(errors)
    report = AuditReport.objects.create(
        requested_by=reader,
        requested_by_key=key,
        period_start=period_start,
        period_end=period_end,
        frameworks=framework_codes,
        sections=ordered(section_names),
    )
    record_event(
        actor=actor,
        action="report.requested",
        target=report,
        data={
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "frameworks": framework_codes,
            "sections": report.sections,
        },
    )
    report_id = report.pk
    transaction.on_commit(lambda: current_app.send_task(GENERATE_TASK, args=[report_id], queue=settings.REPORTS_QUEUE))
    return report


@transaction.atomic
def start_report(*, report_id: int) -> AuditReport | None:
    """Claim a queued report (or one whose worker died mid-run) and mark it running; None when there is nothing to do."""
    report = AuditReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None or report.is_finished:
        return None
    stale_before = timezone.now() - timedelta(seconds=settings.REPORT_TASK_TIME_LIMIT)
    if report.status == Status.RUNNING and report.started_at and report.started_at > stale_before:
        return None  # another worker holds it and is still within its time limit
    report.status = Status.RUNNING
    report.started_at = timezone.now()
    report.progress = 0
    report.save(update_fields=["status", "started_at", "progress"])
    return report


def record_progress(*, report_id: int, progress: int) -> None:
    """Store the running report's progress (0-100) in its own commit, so pages see it; never moves it backwards.

    Progress ticks are bookkeeping, not events: the audit log records the
    request, the result and every download.
    """
    AuditReport.objects.filter(pk=report_id, status=Status.RUNNING, progress__lt=progress).update(progress=min(progress, 100))


@transaction.atomic
def complete_report(*, report_id: int, rendered: rendering.RenderedReport, chain: tuple[int, str]) -> AuditReport | None:
    """Store the rendered PDF, sign it, mark the report done and record ``report.generated`` with its sha256."""
    report = AuditReport.objects.select_for_update().filter(pk=report_id, status=Status.RUNNING).first()
    if report is None:
        return None
    stored_name = storage.new_stored_name()
    storage.write(stored_name=stored_name, content=rendered.content)
    signature = signing.sign(rendered.content)
    report.status = Status.DONE
    report.progress = 100
    report.generated_at = timezone.now()
    report.pages = rendered.pages
    report.size = len(rendered.content)
    report.sha256 = hashlib.sha256(rendered.content).hexdigest()
    report.stored_name = stored_name
    report.signature = signature.signature
    report.signing_key_id = signature.key_id
    report.chain_sequence, report.chain_hash = chain
    report.save()
    record_event(
        actor=GENERATOR,
        action="report.generated",
        target=report,
        data={
            "sha256": report.sha256,
            "pages": report.pages,
            "size": report.size,
            "key_id": report.signing_key_id,
            "chain_sequence": report.chain_sequence,
            "chain_hash": report.chain_hash,
        },
    )
    return report


@transaction.atomic
def fail_report(*, report_id: int, reason: str) -> AuditReport | None:
    """Mark a report that is not done as failed with ``reason`` and record ``report.failed``."""
    report = AuditReport.objects.select_for_update().filter(pk=report_id).exclude(status=Status.DONE).first()
    if report is None:
        return None
    report.status = Status.FAILED
    report.failure_reason = reason.strip() or "The report failed for an unknown reason."
    report.save(update_fields=["status", "failure_reason"])
    record_event(actor=GENERATOR, action="report.failed", target=report, data={"reason": report.failure_reason})
    return report


def _current_chain_head() -> tuple[int, str]:
    head = chain_status().head
    return (head.sequence, head.hash) if head else (0, "")


def generate_report_now(*, report_id: int) -> AuditReport | None:
    """Generate a claimed report end to end (the task's body); return it done, failed, or None if not ours to run.

    Not atomic on purpose: progress commits as sections render. Any error fails
    the report with a readable reason instead of leaving it running.
    """
    report = start_report(report_id=report_id)
    if report is None:
        return None
    try:
        reader = report.requested_by

        def on_section(index: int, total: int) -> None:
            record_progress(report_id=report_id, progress=5 + (READ_DONE - 5) * index // total)

        built, shared = content.build_sections(reader=reader, report=report, on_section=on_section)
        chain = shared.get("chain") or _current_chain_head()
        html = rendering.render_html(
            report=report, sections=built, organisation=content.organisation_name(), generated_at=timezone.now()
        )
        record_progress(report_id=report_id, progress=READ_DONE + 5)
        rendered = rendering.render_pdf(
            report=report, html=html, on_layout=lambda: record_progress(report_id=report_id, progress=LAID_OUT)
        )
    except Exception as error:  # noqa: BLE001 — recorded on the report, for a person to read
        logger.exception("Audit report #%s failed", report_id)
        return fail_report(report_id=report_id, reason=describe_failure(error))
    return complete_report(report_id=report_id, rendered=rendered, chain=chain)


def describe_failure(error: Exception) -> str:
    """Return what a person reads when generation fails."""
    name = type(error).__name__
    if name == "SoftTimeLimitExceeded":
        return (
            f"Rendering took longer than {settings.REPORT_TASK_SOFT_TIME_LIMIT} seconds and was stopped: "
            "request a shorter period or fewer sections."
        )
    return f"The report could not be generated ({name}: {error}). Request it again; if it fails again, quote report id."


@transaction.atomic
def pdf_for_download(*, actor, report: AuditReport) -> bytes:
    """Return the done report's PDF bytes and record ``report.downloaded``."""
    return _download(actor=actor, report=report, what="pdf")


@transaction.atomic
def signature_for_download(*, actor, report: AuditReport) -> bytes:
    """Return the done report's ``.sig`` file and record ``report.signature_downloaded``."""
    return _download(actor=actor, report=report, what="signature")


def _download(*, actor, report: AuditReport, what: str) -> bytes:
    if report.status != Status.DONE:
        raise ReportRefused(f"Report #{report.pk} is {report.get_status_display().lower()}; it can be downloaded once it is done.")
    try:
        pdf = storage.read(report.stored_name)
    except FileNotFoundError:
        raise ReportRefused(f"The file of report #{report.pk} is missing from the report store; request the report again.") from None
    if hashlib.sha256(pdf).hexdigest() != report.sha256:
        raise ReportRefused(f"The stored file of report #{report.pk} no longer matches its recorded SHA-256; do not rely on it.")
    body = pdf
    if what == "signature":
        if report.signing_key_id not in signing.public_keys():
            raise ReportRefused(
                f"Report #{report.pk} was signed by key {report.signing_key_id}, which is no longer trusted here: "
                "add its public key to SIGNING_PUBLIC_KEYS_EXTRA."
            )
        body = signature_file.build(
            report_id=report.pk,
            report_uid=str(report.uid),
            content=pdf,
            signature=signing.Signature(key_id=report.signing_key_id, signature=report.signature),
        )
    record_event(
        actor=actor,
        action="report.downloaded" if what == "pdf" else "report.signature_downloaded",
        target=report,
        data={"sha256": report.sha256},
    )
    return body
