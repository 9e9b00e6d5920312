"""Processes the reliability tests start, kill and stop: a Celery worker on the test database, a Redis server of their own.

The worker is ``celery -A compliance worker`` in a session of its own, so a
SIGKILL to its process group takes the pool's children down with it, as a
lost machine would. It reads the committed test database (``django_db(transaction=True)``)
and shares the test process's encryption keys, so both see the same requests.
"""

import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.brokers import closed_port, wait_until
from tests.services import IN_CI


def require_binary(name: str) -> str:
    """Return the path of program ``name``; skip the test without it (fail it in CI)."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed"
    if IN_CI:
        pytest.fail(f"{message}; CI needs it.", pytrace=False)
    pytest.skip(f"{message}: skipped outside CI")


def current_database_url() -> str:
    """Return the URL of the database this test runs on (the test database pytest-django created)."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    return f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"


class WorkerProcess:
    """A Celery worker consuming ``queue`` from ``broker_url``, with the test's settings passed in its environment."""

    def __init__(self, *, broker_url: str, queue: str, log: Path, concurrency: int = 2, **settings_env: str):
        self.queue = queue
        self.log = log
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "compliance.settings",
            "DATABASE_URL": current_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CONNECTOR_FILESYSTEM_ROOTS": ",".join(settings.CONNECTOR_FILESYSTEM_ROOTS),
            "ERASURE_QUEUE": queue,
            "LOG_LEVEL": "WARNING",
            **settings_env,
        }
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        """Start a worker (again, after a kill), appending its output to the log."""
        self.starts += 1
        command = [
            sys.executable, "-m", "celery", "-A", "compliance", "worker",
            "--queues", self.queue, "--concurrency", str(self.concurrency), "--pool", "prefork",
            "--hostname", f"reliability-{uuid.uuid4().hex[:8]}@%h", "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]
        with open(self.log, "a") as log:
            log.write(f"\n--- worker start {self.starts} ---\n")
            log.flush()
            self.process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once: nothing is acknowledged, nothing cleaned up."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the worker warmly (SIGTERM), or kill it if it does not stop within 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        # Pool children outlive a warm stop only briefly; make sure none is left.
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass


class RedisServer:
    """A ``redis-server`` on a free loopback port with its data under ``directory``; stopped and started again at will.

    Stopping saves the data (SHUTDOWN SAVE), so the server comes back with the
    keys it had, as a restarted production server would.
    """

    def __init__(self, directory: Path):
        self.binary = require_binary("redis-server")
        self.directory = directory
        self.port = closed_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_connect_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--protected-mode", "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(self._answers, seconds=30), f"redis-server on port {self.port} did not start"

    def stop(self) -> None:
        """Save the data and stop the server; the port refuses connections afterwards."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.client().shutdown(save=True)
        except redis.ConnectionError:
            pass  # the server closes the connection as it shuts down
        self.process.wait(timeout=30)

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False
