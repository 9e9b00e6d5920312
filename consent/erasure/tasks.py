"""Celery tasks of the erasure workflow (the execution engine adds its own)."""

from celery import shared_task

from consent.erasure import access_tasks  # noqa: F401 (registers the access export's tasks with the worker)
from consent.erasure import engine_tasks  # noqa: F401 (registers the execution engine's tasks with the worker)
from consent.erasure import services


@shared_task(name="consent.erasure.tasks.send_erasure_reminders", ignore_result=True)
def send_erasure_reminders() -> int:
    """Email assignees about erasure and access requests due soon or overdue, once per threshold (beat, hourly).

    Return how many were sent. The name stays as the beat schedule knows it.
    """
    return services.send_reminders()
