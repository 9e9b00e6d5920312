"""Reads of the audit log for the PDF audit report: what happened in a period, and a fresh walk of the chain."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count

from compliance.audit.models import AuditEvent
from compliance.audit.verification import ChainReport, verify_chain

VIEW_PERMISSION = "audit.view_auditevent"
VERIFY_PERMISSION = "audit.verify_chain"


def action_counts_between(*, user, after: datetime, until: datetime) -> list[tuple[str, int]]:
    """Return (action, number of events) recorded in [after, until), most frequent first (one grouped query).

    Raises PermissionDenied for a user without ``audit.view_auditevent``.
    """
    if not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied("Reading the audit log needs the audit.view_auditevent permission.")
    rows = (
        AuditEvent.objects.filter(occurred_at__gte=after, occurred_at__lt=until)
        .order_by()
        .values("action")
        .annotate(count=Count("pk"))
        .order_by("-count", "action")
    )
    return [(row["action"], row["count"]) for row in rows]


def chain_verification_for_user(*, user) -> ChainReport:
    """Walk the whole chain now and return what was found (recorded nowhere: the report states it).

    Raises PermissionDenied for a user without ``audit.verify_chain``.
    """
    if not user.has_perm(VERIFY_PERMISSION):
        raise PermissionDenied("Verifying the audit chain needs the audit.verify_chain permission.")
    return verify_chain()
