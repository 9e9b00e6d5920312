"""Liveness of the pieces Custos needs: database, broker, worker."""

from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from compliance.celery import app as celery_app


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return Check("database", False, f"{connection.vendor} does not answer: {exc.__class__.__name__}")
    return Check("database", True, connection.vendor)


def check_broker(timeout: float = 3.0) -> Check:
    transport = celery_app.conf.broker_url.split(":", 1)[0]
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # any transport error means "not reachable"
        return Check("broker", False, f"{transport} broker does not answer: {exc.__class__.__name__}")
    return Check("broker", True, transport)


def check_worker() -> Check:
    from compliance.models import WorkerHeartbeat

    try:
        latest = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
    except DatabaseError:
        return Check("worker", False, "unknown: the database does not answer")
    if latest is None:
        return Check("worker", False, "no worker has reported yet")
    age = timezone.now() - latest.last_seen_at
    if age > settings.WORKER_HEARTBEAT_MAX_AGE:
        return Check("worker", False, f"last heartbeat {int(age.total_seconds())} s ago from {latest.hostname}")
    return Check("worker", True, f"{latest.hostname}, {int(age.total_seconds())} s ago")


def run_checks() -> list[Check]:
    return [check_database(), check_broker(), check_worker()]
