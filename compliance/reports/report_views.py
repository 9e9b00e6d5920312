"""The audit-report pages: the list, the request form, one report with its progress, downloads, About integrity."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from compliance.controls import selectors as controls_selectors
from compliance.crypto import signing
from compliance.reports import selectors, services
from compliance.reports.report_forms import ReportRequestForm
from compliance.reports.sections import SECTIONS

REPORTS_PER_PAGE = 50
# The detail page reloads itself this often while the report renders (a meta refresh: no script).
REFRESH_SECONDS = 2


def _required(permission: str):
    return permission_required(permission, raise_exception=True)


@require_GET
@_required(selectors.VIEW_PERMISSION)
def report_list(request):
    """Every audit report, newest first: status, pages, size, sha256 (one query per page whatever the count)."""
    page = Paginator(selectors.reports_for_user(user=request.user), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "may_request": request.user.has_perm(selectors.REQUEST_PERMISSION)}
    return render(request, "reports/report_list.html", context)


@require_http_methods(["GET", "POST"])
@_required(selectors.REQUEST_PERMISSION)
def report_request(request):
    """Ask for a report: period, frameworks, sections; the report renders in the background."""
    frameworks = list(controls_selectors.frameworks_for_user(user=request.user))
    form = ReportRequestForm(request.POST or None, frameworks=frameworks)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.request_report(
                actor=request.user,
                period_start=data["period_start"],
                period_end=data["period_end"],
                frameworks=data["frameworks"],
                sections=data["sections"],
            )
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Report #{report.pk} is queued; this page follows its progress.")
            return redirect("reports:report_detail", pk=report.pk)
    return render(request, "reports/report_request.html", {"form": form})


@require_GET
@_required(selectors.VIEW_PERMISSION)
def report_detail(request, pk: int):
    """One report: what it covers, its progress while it renders (reloading itself), then its file and signature."""
    report = selectors.report_for_user(user=request.user, pk=pk)
    context = {
        "report": report,
        "refresh_seconds": None if report.is_finished else REFRESH_SECONDS,
        "may_download": request.user.has_perm(selectors.DOWNLOAD_PERMISSION),
        "section_titles": [section.title for section in SECTIONS if section.name in report.sections],
    }
    return render(request, "reports/report_detail.html", context)


def _attachment(body: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Content-Length"] = str(len(body))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _download(request, pk: int, what: str):
    report = selectors.report_for_user(user=request.user, pk=pk)
    try:
        if what == "pdf":
            body = services.pdf_for_download(actor=request.user, report=report)
            return _attachment(body, content_type="application/pdf", filename=report.filename)
        body = services.signature_for_download(actor=request.user, report=report)
        return _attachment(body, content_type="application/json", filename=f"{report.filename}.sig")
    except services.ReportRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("reports:report_detail", pk=report.pk)


@require_GET
@_required(selectors.DOWNLOAD_PERMISSION)
def report_pdf(request, pk: int):
    """Send the report's PDF as an attachment; audited (report.downloaded)."""
    return _download(request, pk, "pdf")


@require_GET
@_required(selectors.DOWNLOAD_PERMISSION)
def report_signature(request, pk: int):
    """Send the report's detached signature (.sig, JSON) as an attachment; audited (report.signature_downloaded)."""
    return _download(request, pk, "signature")


@require_GET
@login_required
def integrity(request):
    """About integrity: the public keys that verify Custos's signatures, and how to verify a report."""
    # Every staff role (those that sign in with MFA) may read it; employees see only their training.
    if not request.user.requires_mfa:
        raise PermissionDenied("The integrity page is for staff roles.")
    return render(request, "reports/integrity.html", {"keys": signing.public_key_texts()})
