"""Celery task of the manager dashboard: refresh its stored summary (beat, every ten minutes).

Registered with the worker by the import in ``compliance.reports.tasks``
(Celery's autodiscovery looks for modules named ``tasks`` only).
"""

from celery import shared_task

from compliance.audit.actors import SystemActor
from compliance.reports import dashboard_services

REFRESH_TASK = "reports.refresh_dashboard"


# Well below the broker's visibility timeout; a refresh is a few aggregates, so a late one is simply replaced by the next.
@shared_task(name=REFRESH_TASK, ignore_result=True, soft_time_limit=120, time_limit=150)
def refresh_dashboard() -> str:
    """Recompute the dashboard's figures; return when they were computed (ISO 8601)."""
    summary = dashboard_services.refresh_dashboard_summary(actor=SystemActor("beat"))
    return summary.computed_at.isoformat()
