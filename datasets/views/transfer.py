"""Importing the dataset catalog from CSV or YAML, and exporting it as CSV."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from datasets import selectors, services
from datasets.catalog_sync import export_lines
from datasets.forms.catalog import DatasetFilterForm
from datasets.forms.transfer import ImportForm
from datasets.models import AnonymisationTechnique, DataCategory, LawfulBasis, Regulation, RetentionAction, Sensitivity
from datasets.views.catalog import require_browse

EXPORT_CHUNK = 500
# A byte-order mark, so spreadsheets open the file as UTF-8; the import accepts it.
BYTE_ORDER_MARK = "\ufeff"
# The codes the import page lists under its columns.
CATALOG_CODES = {
    "data_categories": DataCategory.values,
    "sensitivity": Sensitivity.values,
    "regulations": Regulation.values,
    "lawful_bases": LawfulBasis.values,
    "retention_action": RetentionAction.values,
    "anonymisation_technique": AnonymisationTechnique.values,
}


@require_http_methods(["GET", "POST"])
def dataset_import(request):
    """Upload a catalog: "Check file" says what each row would do; "Apply" does it, all rows or none."""
    if not request.user.has_perm("datasets.add_dataset"):
        raise PermissionDenied("You may not import datasets.")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = services.sync_catalog(actor=request.user, rows=form.cleaned_data["rows"], apply=form.applying)
        if report.applied:
            messages.success(
                request,
                f"Catalog {form.cleaned_data['filename'] or 'file'} applied: {len(report.created)} created,"
                f" {len(report.updated)} updated, {len(report.unchanged)} unchanged.",
            )
            return redirect("datasets:list")
    return render(request, "datasets/import.html", {"form": form, "report": report, "codes": CATALOG_CODES})


@require_GET
def dataset_export(request):
    """Download the datasets the user may see (with the list's filters) as CSV in the import's columns; audited."""
    require_browse(request.user)
    form = DatasetFilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Correct the filters before exporting.")
        return redirect(f"{reverse('datasets:list')}?{request.GET.urlencode()}")
    datasets = selectors.datasets_for_user(user=request.user, filters=form.filters())
    services.record_catalog_export(actor=request.user, filters=form.audit_filters(), count=datasets.count())
    lines = export_lines(datasets.iterator(chunk_size=EXPORT_CHUNK))
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    filename = f"custos-datasets-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_bom(lines):
    yield BYTE_ORDER_MARK
    yield from lines
