"""Writes of the manager dashboard: refreshing its stored summary."""

import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.reports.dashboard_figures import compute_figures
from compliance.reports.dashboard_models import DashboardSummary


@transaction.atomic
def refresh_dashboard_summary(*, actor, now: datetime | None = None) -> DashboardSummary:
    """Recompute the dashboard's figures and store them as the summary (one row, replaced); record the refresh.

    Called by beat every ``reports-refresh-dashboard`` interval and by
    ``seed_demo``; safe to run twice at once (the row is upserted by key).
    """
    now = now or timezone.now()
    started = time.monotonic()
    figures = compute_figures(now=now)
    duration_ms = int((time.monotonic() - started) * 1000)
    summary, _ = DashboardSummary.objects.update_or_create(
        key=DashboardSummary.MANAGER, defaults={"computed_at": now, "figures": figures, "duration_ms": duration_ms}
    )
    record_event(
        actor=actor,
        action="reports.dashboard_refreshed",
        target=summary,
        data={"computed_at": now.isoformat(), "duration_ms": duration_ms, "version": figures["version"]},
    )
    return summary
