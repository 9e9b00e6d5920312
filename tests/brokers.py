"""The Celery broker of the running profile, for tests that send real messages.

Embedded profile: a fresh SQLAlchemy-on-SQLite broker file per test. Services
profile: the configured Redis or RabbitMQ, which must answer (``tests.services``).
Each test uses a queue of its own, so nothing else on a shared broker is consumed.
"""

import socket
import time
import uuid
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import OperationalError

from compliance.celery import app as celery_app
from tests.services import require

_SERVICE_OF_SCHEME = {"redis": "redis", "rediss": "redis", "amqp": "rabbitmq", "pyamqp": "rabbitmq"}


def _drop_connection_pools() -> None:
    # Celery caches its connection and producer pools on first use; without this
    # a changed broker URL would only apply to connections made from scratch.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def use_broker(monkeypatch, url: str) -> None:
    """Point the Celery app at ``url`` for the rest of the test."""
    # Celery reads $CELERY_BROKER_URL before its own configuration, so the
    # environment is the one place that wins on both profiles.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    _drop_connection_pools()


@pytest.fixture
def profile_broker(monkeypatch, tmp_path):
    """Use the profile's real broker for this test and return its URL."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("sqla+"):
        url = f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite3'}"
    else:
        require(_SERVICE_OF_SCHEME[url.split(":", 1)[0]])
    use_broker(monkeypatch, url)
    yield url
    _drop_connection_pools()


@pytest.fixture
def own_queue(profile_broker):
    """Return the name of a queue used by this test alone; delete it afterwards."""
    name = f"custos-test-{uuid.uuid4().hex[:12]}"
    yield name
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_delete(name)


def messages_waiting(queue: str) -> int:
    """Return how many messages sit in ``queue`` on the current broker."""
    with celery_app.connection_for_write() as connection:
        _, count, _ = connection.default_channel.queue_declare(queue=queue)
    return count


def closed_port() -> int:
    """Return a loopback port on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], bool], *, seconds: float = 30.0) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; return whether it held.

    On the embedded profile the test database is SQLite in memory with a shared
    cache, where a read made while the in-thread worker writes fails at once with
    "table is locked" (the busy timeout does not apply to shared-cache locks; the
    file database the product runs on uses WAL, where readers never wait). Such a
    read counts as "not yet".
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _holds(condition):
            return True
        time.sleep(0.2)
    return _holds(condition)


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return condition()
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
