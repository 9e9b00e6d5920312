"""The controls app's Celery tasks by name, sent after the current transaction commits.

Services enqueue through here rather than importing ``tasks`` (tasks import
services, never the reverse), and only once the change they react to is
committed, so a rolled-back change queues nothing.
"""

from celery import current_app
from django.db import transaction

SNAPSHOT_SCORES = "controls.snapshot_scores"
RUN_CHECKS = "controls.run_checks"


def enqueue_check_run(*, user_id: int | None, keys: list[str] | None) -> None:
    """Send ``controls.run_checks`` for the checks named by ``keys`` (None: all) on behalf of ``user_id`` after commit."""
    kwargs = {"user_id": user_id, "keys": keys}
    transaction.on_commit(lambda: current_app.send_task(RUN_CHECKS, kwargs=kwargs, ignore_result=True))


def enqueue_score_snapshots(*, assessment_ids: list[int] | None) -> None:
    """Send ``controls.snapshot_scores`` for the assessments (None: all of them) after commit."""
    kwargs = {"assessment_ids": sorted(set(assessment_ids)) if assessment_ids is not None else None}
    transaction.on_commit(lambda: current_app.send_task(SNAPSHOT_SCORES, kwargs=kwargs, ignore_result=True))
