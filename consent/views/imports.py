"""The import pages: upload a file of consents, follow its progress, download its error report."""

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from consent import selectors
from consent.forms import add_service_errors
from consent.imports import selectors as import_selectors
from consent.imports import services as import_services
from consent.imports.forms import ImportUploadForm

IMPORTS_PER_PAGE = 50
RECORD_PERMISSION = "consent.add_consentevent"

view_imports_required = permission_required(selectors.VIEW_EVENT, raise_exception=True)


def _list_page(request, form, *, status: int = 200, refusal: str = ""):
    page = Paginator(import_selectors.imports_for_caller(caller=request.user), IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "may_import": request.user.has_perm(RECORD_PERMISSION), "refusal": refusal}
    return render(request, "consent/import_list.html", context, status=status)


@require_http_methods(["GET", "POST"])
@view_imports_required
def import_list(request):
    """Recent imports, and for the DPO a form to upload a CSV or JSON Lines file of consents."""
    if request.method == "GET":
        return _list_page(request, ImportUploadForm())
    if not request.user.has_perm(RECORD_PERMISSION):
        raise PermissionDenied("Importing consents is for the DPO.")
    refusal = import_services.body_too_large(int(request.META.get("CONTENT_LENGTH") or 0))
    if refusal:
        # Refused before the body is read: nothing of it reaches the disk.
        return _list_page(request, ImportUploadForm(), status=413, refusal=refusal)
    form = ImportUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = import_services.create_import(
                actor=request.user, upload=form.cleaned_data["file"], file_format=form.cleaned_data["file_format"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("consent:import_detail", pk=job.pk)
    return _list_page(request, form, status=400)


@require_GET
@view_imports_required
def import_detail(request, pk):
    """One import: a progress bar while it runs (updated by static/js/consent-import.js), then its skipped rows."""
    job = import_selectors.import_for_caller(caller=request.user, pk=pk)
    return render(request, "consent/import_detail.html", {"job": job, "errors": import_selectors.first_errors(job=job)})


@require_GET
@view_imports_required
def import_progress(request, pk):
    """The import's progress as JSON, for the progress bar."""
    job = import_selectors.import_for_caller(caller=request.user, pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "finished": job.finished,
            "percent": job.percent,
            "rows_done": job.rows_done,
            "rows_recorded": job.rows_recorded,
            "rows_already_recorded": job.rows_already_recorded,
            "rows_failed": job.rows_failed,
        }
    )


@require_GET
@view_imports_required
def import_errors(request, pk):
    """Download every skipped row of the import as CSV (an audited export)."""
    job = import_selectors.import_for_caller(caller=request.user, pk=pk)
    response = StreamingHttpResponse(import_services.export_import_errors(actor=request.user, job=job), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="consent-import-{job.pk}-errors.csv"'
    return response
