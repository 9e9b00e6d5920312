"""The execution engine's Celery tasks: erase one step, discover, render the certificate, sweep expired leases.

Thin by design: each re-fetches by id, returns early when the row is gone or
finished, and calls ``execution``, ``discovery`` or ``certificate``. Messages
are acknowledged late and rejected (so redelivered) when a worker is lost;
the database guards against running a step twice at once, not the broker.
Registered with the worker by the one import in ``consent.erasure.tasks``
(Celery's autodiscovery looks for modules named ``tasks`` only).
"""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consent.erasure import certificate, discovery, execution
from consent.erasure.models import ErasureRequest, ErasureStep, StepStatus

# Below the broker's visibility timeout (a message not acknowledged by then is
# delivered again) and below the step lease (the sweeper must not re-enqueue a
# step whose worker is still within its time limit).
TIME_LIMIT = settings.CELERY_TASK_TIME_LIMIT
SOFT_TIME_LIMIT = settings.CELERY_TASK_SOFT_TIME_LIMIT
ENGINE_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "time_limit": TIME_LIMIT,
    "soft_time_limit": SOFT_TIME_LIMIT,
}


def _queue() -> str | None:
    return settings.ERASURE_QUEUE or None


def enqueue_step(step_id: int) -> None:
    """Send ``run_erasure_step`` for the step once the current transaction commits (nothing if it rolls back).

    The step's ``queued_at`` records the sending, for the sweeper.
    """
    enqueue_step_ids([step_id])


def enqueue_step_ids(step_ids: list[int]) -> None:
    """Send ``run_erasure_step`` for each of the steps after commit, recording the sending in one update."""
    if not step_ids:
        return
    ErasureStep.objects.filter(pk__in=step_ids).update(queued_at=timezone.now())
    for step_id in step_ids:
        run_erasure_step.apply_async_on_commit((step_id,), queue=_queue())


def enqueue_steps(request: ErasureRequest) -> int:
    """Send a task for each pending step of ``request`` after commit; return how many.

    An approved request with nothing to run (every location held, or none
    applicable) completes once the approval commits (or, should that fail, at
    the sweeper's next run).
    """
    step_ids = list(request.steps.filter(status=StepStatus.PENDING).values_list("pk", flat=True))
    enqueue_step_ids(step_ids)
    if not step_ids:
        request_id = request.pk
        transaction.on_commit(lambda: execution.complete_without_steps(request_id=request_id))
    return len(step_ids)


def enqueue_discovery(request: ErasureRequest) -> None:
    """Send ``run_discovery`` for ``request`` after commit."""
    run_discovery.apply_async_on_commit((request.pk,), queue=_queue())


def enqueue_certificate(request: ErasureRequest) -> None:
    """Send ``render_certificate`` for ``request`` after commit, on the low-priority queue when one is set."""
    render_certificate.apply_async_on_commit((request.pk,), queue=settings.ERASURE_CERTIFICATE_QUEUE or _queue())


@shared_task(
    bind=True, name="consent.erasure.run_erasure_step", max_retries=settings.ERASURE_MAX_ATTEMPTS, **ENGINE_OPTIONS
)
def run_erasure_step(self, step_id: int) -> str:
    """Erase one step's subject from its location; retry a transient error with exponential backoff and jitter."""
    try:
        outcome = execution.run_step(step_id=step_id)
    except SoftTimeLimitExceeded:
        reason = f"The store did not answer within {SOFT_TIME_LIMIT} seconds; Custos will try again."
        again = execution.release_for_retry(step_id=step_id, reason=reason)
        outcome = execution.Outcome.RETRY if again else execution.Outcome.FAILED
    if outcome == execution.Outcome.RETRY:
        raise self.retry(countdown=execution.retry_delay(step_id), queue=_queue())
    return outcome.value


@shared_task(name="consent.erasure.run_discovery", **ENGINE_OPTIONS)
def run_discovery(request_id: int) -> int:
    """Count the subject's records in every applicable location of the request; return how many were asked."""
    return discovery.run_discovery(request_id=request_id)


@shared_task(name="consent.erasure.render_certificate", **ENGINE_OPTIONS)
def render_certificate(request_id: int) -> str:
    """Render and store a completed request's certificate of erasure, once; return its sha256 ("" if not completed)."""
    stored = certificate.ensure_certificate(request_id=request_id)
    return stored.sha256 if stored else ""


@shared_task(name="consent.erasure.sweep_expired_leases", **ENGINE_OPTIONS)
def sweep_expired_leases() -> dict:
    """Re-enqueue steps whose lease expired or whose message was lost; fail those out of attempts (beat, every minute)."""
    return execution.sweep_expired_leases()
