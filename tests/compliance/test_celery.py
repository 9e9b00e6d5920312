"""Celery's configuration and the enqueue-after-commit rule, against the profile's real broker."""

import pytest
from django.conf import settings
from django.db import transaction

from compliance.celery import app as celery_app
from compliance.tasks import record_worker_heartbeat
from tests.brokers import messages_waiting, own_queue, profile_broker  # noqa: F401 (fixtures)


def _registered_tasks():
    # Import every app's tasks module, as a worker does at start-up.
    celery_app.loader.import_default_modules()
    return dict(celery_app.tasks)


def test_messages_are_json_only():
    conf = celery_app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_is_lost():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_every_task_has_a_hard_time_limit_below_the_visibility_timeout():
    # A message not acknowledged within the visibility timeout is delivered again:
    # a task still running then would run twice at once.
    visibility_timeout = settings.BROKER_VISIBILITY_TIMEOUT_SECONDS
    tasks = _registered_tasks()
    assert "compliance.tasks.record_worker_heartbeat" in tasks
    for name, task in tasks.items():
        limit = task.time_limit or celery_app.conf.task_time_limit
        assert limit is not None, f"{name} has no hard time limit"
        assert limit < visibility_timeout, f"{name}: time limit {limit} s >= visibility timeout {visibility_timeout} s"
        soft = task.soft_time_limit or celery_app.conf.task_soft_time_limit
        assert soft is None or soft < limit, f"{name}: soft limit {soft} s is not below the hard limit {limit} s"


def test_the_visibility_timeout_reaches_brokers_that_redeliver_by_timeout():
    options = celery_app.conf.broker_transport_options
    if celery_app.conf.broker_url.startswith("sqla+"):
        # No timeout there, and kombu would hand the option to create_engine.
        assert "visibility_timeout" not in options
    else:
        assert options["visibility_timeout"] == settings.BROKER_VISIBILITY_TIMEOUT_SECONDS


class Rollback(Exception):
    pass


@pytest.mark.django_db
def test_a_task_enqueued_in_a_rolled_back_transaction_is_never_sent(django_capture_on_commit_callbacks, own_queue):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback):
            with transaction.atomic():
                record_worker_heartbeat.apply_async_on_commit(queue=own_queue)
                raise Rollback

    assert callbacks == []
    assert messages_waiting(own_queue) == 0


@pytest.mark.django_db
def test_a_task_enqueued_in_a_transaction_is_sent_only_once_it_commits(django_capture_on_commit_callbacks, own_queue):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            record_worker_heartbeat.apply_async_on_commit(queue=own_queue)
            assert messages_waiting(own_queue) == 0

    assert len(callbacks) == 1
    assert messages_waiting(own_queue) == 1
