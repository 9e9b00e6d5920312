"""The access export's Celery tasks: read one location, assemble the archive, sweep (lost reads, expired archives).

Thin, like the erasure engine's: each takes an id, re-fetches, returns early
when the row is gone or finished, and calls ``access_engine``. Same options
(acks late, rejected on a lost worker, time limits below the lease) and the
same retry backoff and attempt limit as erasure steps. Registered with the
worker by the import in ``consent.erasure.tasks``.
"""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from consent.erasure import access_engine, execution
from consent.erasure.access_models import AccessRequest, AccessResult, AccessResultStatus
from consent.erasure.engine_tasks import ENGINE_OPTIONS, SOFT_TIME_LIMIT, _queue
from django.conf import settings


def enqueue_result(result_id: int) -> None:
    """Send ``export_location`` for the result once the current transaction commits (nothing if it rolls back)."""
    export_location.apply_async_on_commit((result_id,), queue=_queue())


def enqueue_results(request: AccessRequest) -> int:
    """Send a task for each pending result of ``request`` after commit, or the assembly when none is pending."""
    result_ids = list(request.results.filter(status=AccessResultStatus.PENDING).values_list("pk", flat=True))
    for result_id in result_ids:
        enqueue_result(result_id)
    if not result_ids:
        enqueue_assembly(request)
    return len(result_ids)


def enqueue_assembly(request: AccessRequest) -> None:
    """Send ``assemble_archive`` for ``request`` after commit."""
    assemble_archive.apply_async_on_commit((request.pk,), queue=_queue())


def _attempts(result_id: int) -> int:
    return AccessResult.objects.filter(pk=result_id).values_list("attempts", flat=True).first() or 0


@shared_task(
    bind=True, name="consent.erasure.export_location", max_retries=settings.ERASURE_MAX_ATTEMPTS, **ENGINE_OPTIONS
)
def export_location(self, result_id: int) -> str:
    """Read the subject's records from one location; retry a transient error with the erasure engine's backoff."""
    try:
        outcome = access_engine.run_result(result_id=result_id)
    except SoftTimeLimitExceeded:
        reason = f"The store did not answer within {SOFT_TIME_LIMIT} seconds; Custos will try again."
        again = access_engine.release_for_retry(result_id=result_id, reason=reason)
        outcome = execution.Outcome.RETRY if again else execution.Outcome.FAILED
    if outcome == execution.Outcome.RETRY:
        raise self.retry(countdown=execution.retry_countdown(_attempts(result_id)), queue=_queue())
    return outcome.value


@shared_task(name="consent.erasure.assemble_access_archive", **ENGINE_OPTIONS)
def assemble_archive(request_id: int) -> bool:
    """Build and store the encrypted archive of a request whose locations all answered; return whether it did."""
    return access_engine.assemble_archive(request_id=request_id)


@shared_task(name="consent.erasure.sweep_access_requests", **ENGINE_OPTIONS)
def sweep_access_requests() -> dict:
    """Re-send lost location reads and delete archives past their expiry (beat, every minute); return the counts."""
    counts = access_engine.sweep_results()
    counts["expired"] = access_engine.expire_archives()
    return counts
