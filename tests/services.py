"""Reaching the real services on this machine (PostgreSQL, MariaDB, Redis, RabbitMQ).

A test that needs one calls ``require(name)``: when the service does not answer
the test is skipped with the reason printed, except with ``CI=true``, where a
missing service fails the run instead of hiding behind a skip.
"""

import os
import socket
from functools import lru_cache

import pytest

SERVICES = {
    "postgresql": ("127.0.0.1", 5432),
    "mariadb": ("127.0.0.1", 3306),
    "redis": ("127.0.0.1", 6379),
    "rabbitmq": ("127.0.0.1", 5672),
}

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@lru_cache(maxsize=None)
def answers(name: str) -> bool:
    host, port = SERVICES[name]
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require(name: str) -> None:
    """Skip (or in CI, fail) the calling test unless service ``name`` answers."""
    if answers(name):
        return
    host, port = SERVICES[name]
    message = f"{name} does not answer on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}; CI needs it (start it, see docs/configuration.md, services profile).", pytrace=False)
    pytest.skip(f"{message}: skipped outside CI")
