"""The Exports page and the streamed, audited download of each register as CSV or JSON Lines."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from compliance.audit.exports import FORMATS, ExportError, stream_export
from compliance.reports.exports.registers import register_for_user, registers_for_user

NO_EXPORT = "No such export."
FORMAT_LABELS = {"csv": "CSV", "jsonl": "JSON Lines"}


def _export_page(request, *, error: str = "", status: int = 200):
    registers = registers_for_user(request.user)
    if not registers:
        raise PermissionDenied("Exports are for the DPO, compliance managers, auditors and data stewards.")
    context = {"registers": registers, "formats": [(code, FORMAT_LABELS[code]) for code in FORMATS], "error": error}
    return render(request, "reports/export_list.html", context, status=status)


@require_GET
def export_list(request):
    """List the registers the user may export, each with a CSV and a JSON Lines link and the filters it accepts."""
    return _export_page(request)


@require_GET
def export(request, register: str, format: str):
    """Stream one register as ``format``, scoped to what the user may see, after recording the export (audited).

    404 for an unknown register or format and for one the user may not export;
    400, on the Exports page with the reason, for a filter that cannot be read.
    """
    found = register_for_user(request.user, register)
    if found is None or format not in FORMATS:
        raise Http404(NO_EXPORT)
    try:
        filters = found.parse_filters(request.GET)
    except ExportError as error:
        return _export_page(request, error=f"{found.title}: {error}", status=400)
    return stream_export(
        actor=request.user,
        register=found.name,
        format=format,
        columns=found.columns,
        rows=found.rows(user=request.user, filters=filters),
        filters=filters,
    )
