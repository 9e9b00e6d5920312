"""Turning a report's sections into a PDF with WeasyPrint.

The print stylesheet (``static/css/report-print.css``: page size, running
header and footer with "page X of Y", table headers repeated on each page) is
parsed once per process and reused for every report. The PDF's file identifier
names the report (``custos-report:<id>:<uid>``), so ``verify_report`` can say
which report a file is without a database.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from compliance.reports.signature_file import pdf_identifier

STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "report-print.css"


@dataclass(frozen=True)
class RenderedReport:
    """A rendered PDF and its page count."""

    content: bytes
    pages: int


@lru_cache(maxsize=1)
def print_stylesheets() -> tuple:
    """Return the parsed print stylesheets (WeasyPrint CSS objects), parsed on the first call only."""
    from weasyprint import CSS

    # Charts need no sheet: their shapes carry their colours as SVG presentation attributes.
    return (CSS(filename=str(STYLESHEET)),)


def render_html(*, report, sections: list[dict], organisation: str, generated_at) -> str:
    """Return the report's HTML: cover, table of contents, then each section."""
    return render_to_string(
        "reports/pdf/report.html",
        {
            "report": report,
            "sections": sections,
            "organisation": organisation,
            "generated_at": generated_at,
            "requested_by": report.requested_by.get_username(),
        },
    )


def render_pdf(*, report, html: str, on_layout=None) -> RenderedReport:
    """Lay out ``html`` and return the PDF bytes with the page count; ``on_layout()`` is called between layout and writing."""
    from weasyprint import HTML

    # No base URL: the report loads nothing but its own stylesheets from disk; charts are inline SVG.
    document = HTML(string=html).render(stylesheets=list(print_stylesheets()))
    pages = len(document.pages)
    if on_layout is not None:
        on_layout()
    content = document.write_pdf(pdf_identifier=pdf_identifier(report_id=report.pk, report_uid=str(report.uid)))
    return RenderedReport(content=content, pages=pages)
