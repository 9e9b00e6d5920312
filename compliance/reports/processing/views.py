"""The record of processing activities (GDPR Art. 30(1)): a page, and audited PDF, CSV and JSON Lines downloads."""

import hashlib

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from compliance.audit.exports import FORMATS, record_export, stream_export
from compliance.reports.processing.activities import COLUMNS, may_read_record, record_of_processing as build_record
from compliance.reports.processing.rendering import render_record_pdf

REGISTER = "record-of-processing"
DOWNLOADS = ("pdf", *FORMATS)


@require_GET
def record_of_processing(request):
    """Show the record; ``?format=pdf``, ``csv`` or ``jsonl`` downloads it instead (each download audited)."""
    if not may_read_record(request.user):
        raise PermissionDenied("The record of processing is for the DPO, compliance managers and auditors.")
    format = request.GET.get("format", "").strip()
    record = build_record(user=request.user)
    if format == "pdf":
        return _pdf(request, record)
    if format in FORMATS:
        return stream_export(
            actor=request.user,
            register=REGISTER,
            format=format,
            columns=COLUMNS,
            rows=(activity.as_row(record.controller) for activity in record.activities),
        )
    error = f"Download the record as {', '.join(DOWNLOADS)}, not {format!r}." if format else ""
    context = {"record": record, "downloads": DOWNLOADS, "error": error}
    return render(request, "reports/record_of_processing.html", context, status=400 if error else 200)


def _pdf(request, record) -> HttpResponse:
    content = render_record_pdf(record)
    digest = hashlib.sha256(content).hexdigest()
    record_export(
        actor=request.user,
        register=REGISTER,
        format="pdf",
        details={"sha256": digest, "size": len(content), "activities": len(record.activities)},
    )
    response = HttpResponse(content, content_type="application/pdf")
    name = f"custos-{REGISTER}-{timezone.localdate().isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
