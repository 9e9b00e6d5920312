"""Celery tasks of the reports app: rendering an audit report."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from compliance.reports import services


# Limits below the broker's visibility timeout (settings.BROKER_VISIBILITY_TIMEOUT_SECONDS), so a long report is
# never delivered twice while it renders; at the soft limit the report is failed with a reason.
@shared_task(
    name=services.GENERATE_TASK,
    ignore_result=True,
    soft_time_limit=settings.REPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TASK_TIME_LIMIT,
)
def generate_report(report_id: int) -> str:
    """Render, store and sign audit report ``report_id``; return its status ("" when there was nothing to do).

    Idempotent: a report already done or failed, or running in another worker
    within its time limit, is left alone.
    """
    try:
        report = services.generate_report_now(report_id=report_id)
    except SoftTimeLimitExceeded as error:
        report = services.fail_report(report_id=report_id, reason=services.describe_failure(error))
    return report.status if report else ""


# The dashboard's refresh task (helper "dashboard"): imported so the worker registers it.
from compliance.reports import dashboard_tasks  # noqa: E402, F401
