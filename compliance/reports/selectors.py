"""Reads of audit reports, for people who hold ``reports.view_auditreport`` (managers and auditors)."""

from django.http import Http404
from django.db.models import QuerySet

from compliance.reports.models import AuditReport

VIEW_PERMISSION = "reports.view_auditreport"
REQUEST_PERMISSION = "reports.add_auditreport"
DOWNLOAD_PERMISSION = "reports.download_auditreport"
NO_REPORT = "There is no such audit report."


def reports_for_user(*, user) -> QuerySet[AuditReport]:
    """Return the reports ``user`` may see, newest first, with who asked (one query however many there are).

    Reports are the organisation's, not their requester's: every holder of the
    view permission sees them all; anyone else none.
    """
    if not (getattr(user, "is_authenticated", False) and user.has_perm(VIEW_PERMISSION)):
        return AuditReport.objects.none()
    return AuditReport.objects.select_related("requested_by", "requested_by_key").order_by("-requested_at", "-pk")


def report_for_user(*, user, pk) -> AuditReport:
    """Return report ``pk`` if ``user`` may see it; Http404 for missing and forbidden alike."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404(NO_REPORT) from None
    report = reports_for_user(user=user).filter(pk=pk).first()
    if report is None:
        raise Http404(NO_REPORT)
    return report


def report_by_id(*, pk) -> AuditReport:
    """Return report ``pk`` for a caller already authorised by its scope (an API key); Http404 if none."""
    report = AuditReport.objects.select_related("requested_by").filter(pk=pk).first()
    if report is None:
        raise Http404(NO_REPORT)
    return report
