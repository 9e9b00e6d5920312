"""Project-level models: worker liveness for /healthz."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task (beat sends it every 15 s).

    Liveness is read from the database rather than a broadcast ping, because the
    embedded SQLAlchemy broker has no fan-out for remote control.
    """

    hostname = models.CharField(max_length=255, unique=True)
    last_seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen_at:%H:%M:%S}"
