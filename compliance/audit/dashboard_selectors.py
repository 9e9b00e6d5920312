"""Reads of the audit log's high-risk events for the manager dashboard: reveals, exports, refusals, lockouts.

Both reads use the ``(action, sequence)`` index, so they cost the same however
long the log grows.
"""

from datetime import datetime

from django.db.models import Count

from compliance.audit.models import AuditEvent

# What a reviewer looks at first: personal data shown in clear, data leaving Custos, refusals and lockouts.
HIGH_RISK_ACTIONS: dict[str, tuple[str, ...]] = {
    "reveals": ("subject.revealed", "access.identifiers_revealed", "erasure.identifiers_revealed"),
    "exports": (
        "export.downloaded",
        "datasets.exported",
        "consent.receipt_exported",
        "subject.receipt_exported",
        "consent.import_errors_exported",
        "access.downloaded",
        "report.downloaded",
        "erasure.certificate_downloaded",
        "controls.evidence_downloaded",
        "share_link.downloaded",
    ),
    "refusals": ("auth.permission_denied", "api_key.refused", "auth.login_refused", "training.gate_refused"),
    "lockouts": ("auth.locked_out",),
}
CATEGORY_LABELS = {"reveals": "Reveals", "exports": "Exports and downloads", "refusals": "Refusals", "lockouts": "Lockouts"}
CATEGORY_OF = {action: category for category, actions in HIGH_RISK_ACTIONS.items() for action in actions}


def high_risk_counts(*, since: datetime) -> dict[str, dict[str, int]]:
    """Return, per category, how many events of each high-risk action occurred since ``since`` (one query, unscoped)."""
    counts: dict[str, dict[str, int]] = {category: {} for category in HIGH_RISK_ACTIONS}
    rows = (
        AuditEvent.objects.filter(action__in=list(CATEGORY_OF), occurred_at__gte=since)
        .values_list("action")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for action, count in rows:
        counts[CATEGORY_OF[action]][action] = count
    return counts


def recent_high_risk_events(*, limit: int = 10) -> list[AuditEvent]:
    """Return the newest ``limit`` high-risk events, newest first (unscoped: for the dashboard's summary).

    One index range per action (newest ``limit`` of each), merged: an ``IN``
    list ordered by sequence would walk the whole log backwards whenever such
    events are rare.
    """
    events: list[AuditEvent] = []
    for action in CATEGORY_OF:
        events += AuditEvent.objects.filter(action=action).order_by("-sequence").only(
            "sequence", "occurred_at", "actor_type", "actor_label", "action", "target_type", "target_id"
        )[:limit]
    return sorted(events, key=lambda event: event.sequence, reverse=True)[:limit]
