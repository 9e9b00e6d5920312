"""Project-level Celery tasks."""

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from compliance.models import WorkerHeartbeat


def _beat(hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(hostname=hostname[:255], defaults={"last_seen_at": timezone.now()})


@shared_task(bind=True, ignore_result=True, time_limit=30, soft_time_limit=20)
def record_worker_heartbeat(self) -> None:
    """Record that a worker is consuming the queue (read by /healthz).

    Telemetry, not a domain change: it records no audit event, or the log would
    gain four rows a minute saying nothing.
    """
    _beat(self.request.hostname or "worker")


@worker_ready.connect(dispatch_uid="custos.worker_ready_heartbeat")
def heartbeat_on_start(sender, **kwargs):
    # So /healthz turns green as soon as the worker is up, not at beat's first tick.
    _beat(getattr(sender, "hostname", None) or "worker")
