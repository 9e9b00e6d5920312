"""The controls app's Celery tasks by name, sent after the current transaction commits.

Services enqueue through here rather than importing ``tasks`` (tasks import
services, never the reverse), and only once the change they react to is
committed, so a rolled-back change queues nothing.

A task is sent through its signature rather than ``send_task``: the signature
resolves to the registered task where this process knows it, which honours
``task_always_eager`` (browser journeys and the embedded demo run tasks in
process), and falls back to sending by name where it does not.
"""

from celery import current_app
from django.db import transaction

SNAPSHOT_SCORES = "controls.snapshot_scores"
RUN_CHECKS = "controls.run_checks"


def enqueue_check_run(*, user_id: int | None, keys: list[str] | None) -> None:
    """Send ``controls.run_checks`` for the checks named by ``keys`` (None: all) on behalf of ``user_id`` after commit."""
    kwargs = {"user_id": user_id, "keys": keys}
    transaction.on_commit(lambda: _send(RUN_CHECKS, kwargs))


def enqueue_score_snapshots(*, assessment_ids: list[int] | None) -> None:
    """Send ``controls.snapshot_scores`` for the assessments (None: all of them) after commit."""
    kwargs = {"assessment_ids": sorted(set(assessment_ids)) if assessment_ids is not None else None}
    transaction.on_commit(lambda: _send(SNAPSHOT_SCORES, kwargs))


def _send(name: str, kwargs: dict) -> None:
    current_app.signature(name, kwargs=kwargs).apply_async(ignore_result=True)
