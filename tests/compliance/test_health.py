"""/healthz: database, broker and worker liveness, against real services."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.utils import timezone

from compliance.celery import app as celery_app
from compliance.models import WorkerHeartbeat
from compliance.tasks import record_worker_heartbeat
from tests.brokers import closed_port, own_queue, profile_broker, use_broker, wait_until  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]


def _health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


@pytest.mark.django_db(transaction=True)
def test_healthz_is_ok_while_a_real_worker_consumes_the_broker(client, own_queue):
    assert not WorkerHeartbeat.objects.exists()
    with start_worker(celery_app, perform_ping_check=False, queues=[own_queue]):
        sent_at = timezone.now()
        # Through the broker, as beat sends it: not .run(), not .apply().
        record_worker_heartbeat.apply_async(queue=own_queue)
        assert wait_until(lambda: WorkerHeartbeat.objects.filter(last_seen_at__gte=sent_at).exists())
        status, body = _health(client)

    assert status == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "worker": True,
    }
    heartbeat = WorkerHeartbeat.objects.get()
    assert body["checks"]["worker"]["detail"].startswith(f"{heartbeat.hostname}, ")


@pytest.mark.django_db
def test_healthz_names_the_worker_when_none_has_reported(client, profile_broker):
    status, body = _health(client)

    assert status == 503
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["detail"] == "no worker has reported yet"
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["database"] == {"ok": True, "detail": connection.vendor}


@pytest.mark.django_db
def test_healthz_names_the_worker_when_its_last_heartbeat_is_too_old(client, profile_broker):
    with time_machine.travel(timezone.now() - settings.WORKER_HEARTBEAT_MAX_AGE - timedelta(seconds=5), tick=False):
        WorkerHeartbeat.objects.create(hostname="custos@old-host", last_seen_at=timezone.now())

    status, body = _health(client)

    assert status == 503
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["detail"].startswith("last heartbeat ")
    assert body["checks"]["worker"]["detail"].endswith(" s ago from custos@old-host")


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_does_not_answer(client, monkeypatch):
    use_broker(monkeypatch, f"redis://127.0.0.1:{closed_port()}/0")
    WorkerHeartbeat.objects.create(hostname="custos@host", last_seen_at=timezone.now())

    status, body = _health(client)

    assert status == 503
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["detail"].startswith("redis broker does not answer: ")


def test_healthz_names_the_database_when_it_does_not_answer(tmp_path):
    # A separate process, since this one's database connection is pytest-django's.
    script = (
        "import json; from django.test import Client; "
        "r = Client().get('/healthz'); print('RESULT', r.status_code, json.dumps(r.json()))"
    )
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "CUSTOS_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/custos",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
    }
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    _, status, payload = line.split(" ", 2)
    body = json.loads(payload)

    assert status == "503"
    assert body["failing"] == ["database", "worker"]
    assert body["checks"]["database"]["detail"] == "postgresql does not answer: OperationalError"
    assert body["checks"]["worker"]["detail"] == "unknown: the database does not answer"
    assert body["checks"]["broker"]["ok"] is True
