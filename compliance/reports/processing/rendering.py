"""The record of processing as a PDF (WeasyPrint), with its print stylesheet parsed once per process."""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from compliance.reports.processing.activities import RecordOfProcessing

STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "record-of-processing-print.css"


@lru_cache(maxsize=1)
def print_stylesheets() -> tuple:
    """Return the parsed print stylesheet (a WeasyPrint CSS object), parsed on the first call only."""
    from weasyprint import CSS

    return (CSS(filename=str(STYLESHEET)),)


def render_record_pdf(record: RecordOfProcessing) -> bytes:
    """Return the record as PDF bytes: the controller first, then one block per activity, missing entries flagged."""
    from weasyprint import HTML

    html = render_to_string("reports/record_of_processing_pdf.html", {"record": record})
    # No base URL: the document loads nothing but its stylesheet from disk.
    return HTML(string=html).write_pdf(stylesheets=list(print_stylesheets()))
