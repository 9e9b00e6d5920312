"""The imports: the HR roster (preview creates, updates, deactivations and row errors, then apply), LMS
completions (matched, unmatched and rejected rows with reasons), their history, and the xAPI statement log."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from compliance.staff_training import selectors, services
from compliance.staff_training.forms import CsvUploadForm, RosterImportForm
from compliance.staff_training.models import XapiStatement
from compliance.staff_training.views.common import (
    IMPORT_LMS,
    IMPORT_ROSTER,
    PER_PAGE,
    VIEW_LMS_IMPORT,
    VIEW_ROSTER_IMPORT,
    VIEW_STATEMENT,
    query_string,
    required,
)

RE_PREVIEW = "The file differs from the one previewed (or was not previewed): preview it first, then apply the same file."
ROSTER_COLUMNS = ("employee_id", "name", "email", "department", "job_role", "manager_id", "start_date", "end_date")
LMS_COLUMNS = ("course_code", "employee_email or employee_id", "completed_at", "score")


def _refusal(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _applying(request) -> bool:
    return request.POST.get("action") == "apply"


@require_http_methods(["GET", "POST"])
@required(IMPORT_ROSTER)
def hr_import(request):
    """Upload the HR roster: "Preview" shows what would change; "Apply" (the same file) changes it in one transaction."""
    form = RosterImportForm(request.POST or None, request.FILES or None)
    preview = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            partial = form.cleaned_data["partial"]
            if _applying(request) and not form.applies_previewed_file():
                form.add_error(None, RE_PREVIEW)
            elif _applying(request):
                try:
                    run = services.apply_roster_import(actor=request.user, content=form.content, filename=form.filename, partial=partial)
                except (services.TrainingActionRefused, ValidationError) as refusal:
                    form.add_error(None, _refusal(refusal))
                else:
                    messages.success(
                        request,
                        f"Roster imported: {run.created_count} created, {run.updated_count} updated, "
                        f"{run.deactivated_count} deactivated, {run.unchanged_count} unchanged.",
                    )
                    return redirect("staff_training:roster_import_detail", pk=run.pk)
            else:
                try:
                    preview = services.preview_roster_import(content=form.content, partial=partial)
                except services.TrainingActionRefused as refusal:
                    form.add_error("file", str(refusal))
                else:
                    status = 200
                    # The apply button sends the same file again; its hash must match this one.
                    form = RosterImportForm(initial={"previewed_sha256": form.sha256, "partial": partial})
    applicable = preview is not None and not preview.has_errors
    context = {"form": form, "preview": preview, "applicable": applicable, "columns": ROSTER_COLUMNS}
    return render(request, "staff_training/hr_import.html", context, status=status)


@require_http_methods(["GET", "POST"])
@required(IMPORT_LMS)
def lms_import(request):
    """Upload an LMS completions export: "Preview" reports each row matched, unmatched or rejected; "Apply" records them."""
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if _applying(request) and not form.applies_previewed_file():
                form.add_error(None, RE_PREVIEW)
            elif _applying(request):
                try:
                    run = services.apply_lms_import(actor=request.user, content=form.content, filename=form.filename)
                except (services.TrainingActionRefused, ValidationError) as refusal:
                    form.add_error(None, _refusal(refusal))
                else:
                    messages.success(
                        request,
                        f"LMS completions imported: {run.matched_count} matched, {run.unmatched_count} unmatched, "
                        f"{run.rejected_count} rejected.",
                    )
                    return redirect("staff_training:lms_import_detail", pk=run.pk)
            else:
                try:
                    report = services.preview_lms_import(content=form.content)
                except services.TrainingActionRefused as refusal:
                    form.add_error("file", str(refusal))
                else:
                    status = 200
                    form = CsvUploadForm(initial={"previewed_sha256": form.sha256})
    applicable = report is not None and report.matched > 0
    context = {"form": form, "report": report, "applicable": applicable, "columns": LMS_COLUMNS}
    return render(request, "staff_training/lms_import.html", context, status=status)


@require_GET
@required(VIEW_ROSTER_IMPORT)
def import_list(request):
    """The applied roster and LMS imports, newest first (the last 50 of each)."""
    context = {
        "roster_imports": selectors.roster_imports_for_user(user=request.user).select_related("actor")[:PER_PAGE],
        "lms_imports": selectors.lms_imports_for_user(user=request.user).select_related("actor")[:PER_PAGE],
    }
    return render(request, "staff_training/import_list.html", context)


@require_GET
@required(VIEW_ROSTER_IMPORT)
def roster_import_detail(request, pk):
    """One applied roster import: its counts and the outcome of each row."""
    run = get_object_or_404(selectors.roster_imports_for_user(user=request.user).select_related("actor"), pk=pk)
    return render(request, "staff_training/import_detail.html", {"run": run, "kind": "roster"})


@require_GET
@required(VIEW_LMS_IMPORT)
def lms_import_detail(request, pk):
    """One applied LMS import: matched, unmatched and rejected rows with their reasons."""
    run = get_object_or_404(selectors.lms_imports_for_user(user=request.user).select_related("actor"), pk=pk)
    rows = [
        services.LmsRow(entry.get("line", 0), entry.get("outcome", ""), entry.get("message", ""), entry.get("employee", ""), entry.get("course", ""))
        for entry in run.report
    ]
    return render(request, "staff_training/import_detail.html", {"run": run, "kind": "lms", "rows": rows})


class StatementFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *XapiStatement.Status.choices])


@require_GET
@required(VIEW_STATEMENT)
def statement_list(request):
    """The xAPI statements received, accepted or rejected with the reason, newest first, 50 a page."""
    form = StatementFilterForm(request.GET)
    page = None
    if form.is_valid():
        statements = selectors.statements_for_user(user=request.user, status=form.cleaned_data["status"])
        page = Paginator(statements, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": query_string(form)}
    return render(request, "staff_training/statement_list.html", context)
