"""Celery tasks of staff training (beat): the nightly rules, reminders, and the weekly manager digest.

Thin: each calls one service, which is idempotent, so a redelivered or doubled
run changes nothing.
"""

from celery import shared_task

from compliance.staff_training import services


@shared_task(name="staff_training.sync_assignments", ignore_result=True)
def sync_assignments() -> dict:
    """Run the assignment rules over the whole roster (nightly): assign, renew, lapse, cancel, set statuses."""
    return services.sync_assignments().as_dict()


@shared_task(name="staff_training.send_reminders", ignore_result=True)
def send_reminders() -> int:
    """Email employees (due soon, overdue) and managers (overdue) once per threshold; return how many."""
    return services.send_reminders()


@shared_task(name="staff_training.send_manager_digests", ignore_result=True)
def send_manager_digests() -> int:
    """Email each manager their team's overdue training, once per ISO week; return how many."""
    return services.send_manager_digests()
