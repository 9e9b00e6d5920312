"""Celery tasks of the erasure workflow (the execution engine adds its own)."""

from celery import shared_task

from consent.erasure import access_tasks  # noqa: F401 (registers the access export's tasks with the worker)
from consent.erasure import engine_tasks  # noqa: F401 (registers the execution engine's tasks with the worker)
from consent.erasure import services


@shared_task(name="consent.erasure.tasks.send_erasure_reminders", ignore_result=True)
def send_erasure_reminders() -> int:
    """Email assignees about requests due soon or overdue, once per threshold (beat, hourly); return how many."""
    return services.send_erasure_reminders()
