"""The execution engine's writes: claiming a step under a lease, recording its outcome, completing the request.

The database, not the broker, is the source of truth. A task may be delivered
twice (a worker killed after erasing but before acknowledging, a sweeper
re-enqueueing a step whose lease expired), so every write here re-reads the
rows under a lock and acts only when the step is still in the state it
expects. Locks are always taken request first, then step, so two workers
never wait on each other in opposite orders. The connector call itself runs
outside any transaction: a store that takes minutes holds no database lock.

Steps: pending → running (claimed, with a lease and one more attempt) →
done (evidence recorded once), or back to pending (a transient error or an
expired lease, while attempts remain), or failed (a permanent error, or the
attempts exhausted). The request: approved → running on the first claim;
failed as soon as a step fails (the other steps carry on); completed in one
locked transaction when every step is done or skipped.
"""

import enum
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from consent.erasure.models import ErasureRequest, ErasureStep, RequestStatus, StepCompletion, StepStatus
from consent.erasure.selectors import holds_for_request
from consent.erasure.services import ErasureActionRefused, _require_status, _skip_reason
from datasets import connectors

ENGINE = SystemActor("erasure engine")
# A step may be claimed while its request is in one of these; a failed request's
# other steps carry on, so a retry of the failed ones is all that remains.
CLAIMABLE_REQUEST_STATUSES = (RequestStatus.APPROVED, RequestStatus.RUNNING, RequestStatus.FAILED)
FINISHED_STEP_STATUSES = (StepStatus.DONE, StepStatus.SKIPPED)


class Outcome(enum.StrEnum):
    """What running a step came to, for the task to act on."""

    DONE = "done"
    FAILED = "failed"
    RETRY = "retry"
    NOT_CLAIMED = "not_claimed"


def lease_seconds() -> int:
    return settings.ERASURE_STEP_LEASE_SECONDS


def max_attempts() -> int:
    return settings.ERASURE_MAX_ATTEMPTS


def retry_countdown(attempt: int) -> float:
    """Return the seconds to wait before attempt ``attempt + 1``: exponential, capped, with jitter.

    The jitter (between half and all of the delay) spreads the retries of many
    steps that failed together on one store that went away.
    """
    delay = min(settings.ERASURE_RETRY_BACKOFF_SECONDS * 2 ** max(attempt - 1, 0), settings.ERASURE_RETRY_BACKOFF_MAX_SECONDS)
    return delay * random.uniform(0.5, 1.0)


def retry_delay(step_id: int, *, now: datetime | None = None) -> float:
    """Return the seconds until the step's retry is due (set by ``release_for_retry``); 0 when it is due or gone."""
    due = ErasureStep.objects.filter(pk=step_id).values_list("queued_at", flat=True).first()
    return max((due - (now or timezone.now())).total_seconds(), 0.0) if due else 0.0


def subject_keys(request: ErasureRequest) -> connectors.SubjectKeys:
    """Return the identifiers the connectors search for: the subject's external id, email and phone."""
    subject = request.subject
    return connectors.SubjectKeys(
        external_id=subject.external_id if subject else "",
        email=request.email or (subject.email if subject else "") or "",
        phone=request.phone or (subject.phone if subject else "") or "",
    )


def _locked_pair(step_id: int) -> tuple[ErasureRequest, ErasureStep] | None:
    request_id = ErasureStep.objects.filter(pk=step_id).values_list("request_id", flat=True).first()
    if request_id is None:
        return None
    request = ErasureRequest.objects.select_for_update().get(pk=request_id)
    step = ErasureStep.objects.select_for_update(of=("self",)).select_related("location").get(pk=step_id)
    return request, step


def _locked_running(step_id: int) -> tuple[ErasureRequest, ErasureStep] | None:
    """Return the locked request and step when the step is still running; None when another delivery moved it on."""
    locked = _locked_pair(step_id)
    return locked if locked is not None and locked[1].status == StepStatus.RUNNING else None


def _step_event(action: str, request: ErasureRequest, step: ErasureStep, **data) -> None:
    record_event(
        actor=ENGINE,
        action=action,
        target=step,
        data={"request": request.reference, "step": step.pk, "location": str(step.location_id), **data},
    )


def _start_running(request: ErasureRequest) -> None:
    """Move an approved request to running when its first step is claimed (request locked by the caller)."""
    if request.status == RequestStatus.APPROVED:
        request.status = RequestStatus.RUNNING
        request.save(update_fields=["status", "updated_at"])
        record_event(actor=ENGINE, action="erasure.running", target=request, data={"request": request.reference})


def _fail(request: ErasureRequest, step: ErasureStep, reason: str, now: datetime) -> None:
    step.status = StepStatus.FAILED
    step.last_error = reason
    step.lease_expires_at = None
    step.finished_at = now
    step.save()
    _step_event("erasure.step_failed", request, step, attempts=step.attempts, reason=reason)
    if request.status in (RequestStatus.APPROVED, RequestStatus.RUNNING):
        request.status = RequestStatus.FAILED
        request.save(update_fields=["status", "updated_at"])
        record_event(
            actor=ENGINE,
            action="erasure.failed",
            target=request,
            data={"request": request.reference, "step": step.pk, "reason": reason},
        )


def _note_interrupted(step: ErasureStep) -> None:
    """Count, in the evidence to come, an attempt whose worker died: it may have erased before it died."""
    step.evidence = {"interrupted_attempts": step.evidence.get("interrupted_attempts", 0) + 1}


def _gave_up(step: ErasureStep, reason: str) -> str:
    return f"Gave up after {step.attempts} attempts. Last error: {reason}"


def _skipped_under_hold(request: ErasureRequest, step: ErasureStep, now: datetime) -> bool:
    """Skip the (locked) step when a hold set since approval covers its dataset or the subject; say whether it did."""
    holds = holds_for_request(request, datasets={step.location.dataset_id}, now=now)
    # The subject's hold first, as approval chooses it.
    hold = next((hold for hold in holds if hold.subject_id), None) or next(iter(holds), None)
    if hold is None:
        return False
    step.status = StepStatus.SKIPPED
    step.legal_hold = hold
    step.skipped_reason = _skip_reason(hold)
    step.lease_expires_at = None
    step.finished_at = now
    step.save()
    _start_running(request)
    _step_event("erasure.step_skipped", request, step, hold=hold.pk)
    complete_request_if_finished(request=request, now=now)
    return True


@transaction.atomic
def claim_step(*, step_id: int, now: datetime | None = None) -> ErasureStep | None:
    """Claim a pending step (or one whose lease expired) for this worker; return it, or None when not to run it.

    Nothing happens to a step that is gone, finished, failed, held by a live
    lease, or whose request is not running. A step a legal hold set since
    approval now covers is skipped with the hold named, as approval would have.
    A step past the attempt limit fails instead of running again.
    """
    now = now or timezone.now()
    locked = _locked_pair(step_id)
    if locked is None:
        return None
    request, step = locked
    if request.status not in CLAIMABLE_REQUEST_STATUSES or step.status not in (StepStatus.PENDING, StepStatus.RUNNING):
        return None
    if step.status == StepStatus.RUNNING and step.lease_expires_at and step.lease_expires_at > now:
        return None
    if _skipped_under_hold(request, step, now):
        return None
    if step.attempts >= max_attempts():
        _fail(request, step, _gave_up(step, step.last_error or "the step never finished."), now)
        return None
    if step.status == StepStatus.RUNNING:
        _note_interrupted(step)  # its lease expired before the sweeper saw it
    step.status = StepStatus.RUNNING
    step.attempts += 1
    step.lease_expires_at = now + timedelta(seconds=lease_seconds())
    step.started_at = step.started_at or now
    step.save()
    _start_running(request)
    _step_event("erasure.step_started", request, step, attempt=step.attempts)
    return step


@transaction.atomic
def finish_step(*, step_id: int, erased: connectors.Erased, mode: str, now: datetime | None = None) -> bool:
    """Record what the connector erased and mark the step done; complete the request if it was the last.

    Returns False, recording nothing, when the step is no longer running (a
    duplicate delivery already finished it): evidence is written once per step,
    with one ``StepCompletion`` whose unique step the database enforces.

    The evidence counts the records this attempt erased. An earlier attempt
    whose worker died may already have erased some (a second erasure reports
    zero), so ``interrupted_attempts`` says how many such attempts there were:
    a zero after one is "nothing left to erase", not "nothing was there".
    """
    now = now or timezone.now()
    locked = _locked_running(step_id)
    if locked is None:
        return False
    request, step = locked
    interrupted = step.evidence.get("interrupted_attempts", 0)
    step.status = StepStatus.DONE
    step.evidence = {
        "kind": step.location.kind,
        "mode": mode,
        "records_affected": erased.records_affected,
        "fields": list(erased.fields),
        "keys_sha256": erased.keys_sha256,
        "rows_before": erased.rows_before,
        "rows_after": erased.rows_after,
        "detail": connectors.base.json_safe(erased.detail),
        "erased_at": now.isoformat(),
        "attempt": step.attempts,
        "interrupted_attempts": interrupted,
    }
    step.last_error = ""
    step.lease_expires_at = None
    step.finished_at = now
    step.save()
    # The unique step of a completion backs the locked state check above: a
    # second completion of one step is refused by the database itself.
    StepCompletion.objects.create(
        step=step,
        attempt=step.attempts,
        records_affected=erased.records_affected,
        keys_sha256=erased.keys_sha256,
        completed_at=now,
    )
    _step_event(
        "erasure.step_done",
        request,
        step,
        mode=mode,
        records_affected=erased.records_affected,
        keys_sha256=erased.keys_sha256,
        attempt=step.attempts,
    )
    complete_request_if_finished(request=request, now=now)
    return True


@transaction.atomic
def fail_step(*, step_id: int, reason: str, now: datetime | None = None) -> bool:
    """Fail a running step with a reason a person can act on, and its request with it; return whether it changed."""
    now = now or timezone.now()
    locked = _locked_running(step_id)
    if locked is None:
        return False
    request, step = locked
    _fail(request, step, reason, now)
    return True


@transaction.atomic
def release_for_retry(*, step_id: int, reason: str, now: datetime | None = None) -> bool:
    """Put a running step that hit a transient error back to pending; return whether to try again.

    The retry is due after an exponential backoff (``retry_countdown``),
    recorded as the step's ``queued_at``: the task sends itself again for
    then, and the sweeper leaves the step alone until a lease past it. A step
    already at the attempt limit fails instead, naming the last error.
    """
    now = now or timezone.now()
    locked = _locked_running(step_id)
    if locked is None:
        return False
    request, step = locked
    if step.attempts >= max_attempts():
        _fail(request, step, _gave_up(step, reason), now)
        return False
    step.status = StepStatus.PENDING
    step.last_error = reason
    step.lease_expires_at = None
    step.queued_at = now + timedelta(seconds=retry_countdown(step.attempts))
    step.save()
    _step_event("erasure.step_retrying", request, step, attempts=step.attempts, reason=reason)
    return True


def run_step(*, step_id: int) -> Outcome:
    """Claim the step, erase the subject from its location and record the outcome.

    A permanent error (or a location the request gives no key for) fails the
    step with the connector's reason; a transient one releases it for a retry
    while attempts remain.
    """
    step = claim_step(step_id=step_id)
    if step is None:
        return Outcome.NOT_CLAIMED
    location = step.location
    mode = location.erasure_mode
    try:
        erased = connectors.erase(location, subject_keys(step.request), mode)
    except connectors.TransientError as error:
        return Outcome.RETRY if release_for_retry(step_id=step_id, reason=error.message) else Outcome.FAILED
    except (connectors.PermanentError, connectors.NotApplicable) as error:
        fail_step(step_id=step_id, reason=error.message)
        return Outcome.FAILED
    finish_step(step_id=step_id, erased=erased, mode=mode)
    return Outcome.DONE


def complete_request_if_finished(*, request: ErasureRequest, now: datetime | None = None) -> bool:
    """Complete the (locked) request when every step is done or skipped; return whether it completed.

    Runs in the caller's transaction with the request row locked, so two
    steps finishing at once complete it exactly once. Completion withdraws the
    subject's consents, reduces their identifiers and flags affected training
    runs in the same transaction; the certificate is rendered after commit.
    """
    from consent.erasure import completion, engine_tasks

    if request.status != RequestStatus.RUNNING:
        return False
    if request.steps.exclude(status__in=FINISHED_STEP_STATUSES).exists():
        return False
    now = now or timezone.now()
    summary = completion.complete(request=request, actor=ENGINE)
    request.status = RequestStatus.COMPLETED
    request.completed_at = now
    request.training_runs_flagged = {
        "affected": summary["runs_affected"],
        "possibly_affected": summary["runs_possibly_affected"],
    }
    request.save(update_fields=["status", "completed_at", "training_runs_flagged", "updated_at"])
    record_event(
        actor=ENGINE,
        action="erasure.completed",
        target=request,
        data={"request": request.reference, **summary},
    )
    engine_tasks.enqueue_certificate(request)
    return True


@transaction.atomic
def complete_without_steps(*, request_id: int) -> bool:
    """Complete an approved request none of whose steps is left to run; return whether it completed."""
    request = ErasureRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None or request.status != RequestStatus.APPROVED or request.steps.exclude(status__in=FINISHED_STEP_STATUSES).exists():
        return False
    _start_running(request)
    return complete_request_if_finished(request=request)


@transaction.atomic
def retry_failed_steps(*, actor, request: ErasureRequest) -> ErasureRequest:
    """Give a failed request's failed steps a fresh set of attempts and return the request to running."""
    from consent.erasure import engine_tasks

    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    _require_status(request, [RequestStatus.FAILED], "retried")
    failed = list(request.steps.select_for_update().filter(status=StepStatus.FAILED))
    if not failed:
        raise ErasureActionRefused(f"Request {request.reference} has no failed step to retry.")
    for step in failed:
        step.status = StepStatus.PENDING
        step.attempts = 0
        step.lease_expires_at = None
        step.finished_at = None
        step.save()
    request.status = RequestStatus.RUNNING
    request.save(update_fields=["status", "updated_at"])
    record_event(
        actor=actor,
        action="erasure.steps_retried",
        target=request,
        data={"request": request.reference, "steps": [step.pk for step in failed]},
    )
    engine_tasks.enqueue_steps(request)
    return request


@transaction.atomic
def _requeue_expired(*, step_id: int, now: datetime) -> str | None:
    """Put one running step whose lease expired back in the queue, or fail it out of attempts; say which."""
    from consent.erasure import engine_tasks

    request, step = _locked_pair(step_id)
    if step.status != StepStatus.RUNNING or step.lease_expires_at is None or step.lease_expires_at >= now:
        return None
    reason = "The worker running this step stopped before it finished (its lease expired)."
    if step.attempts >= max_attempts():
        _fail(request, step, _gave_up(step, reason), now)
        return "failed"
    step.status = StepStatus.PENDING
    step.last_error = reason
    step.lease_expires_at = None
    _note_interrupted(step)
    step.save()
    _step_event("erasure.step_requeued", request, step, attempts=step.attempts)
    engine_tasks.enqueue_step(step.pk)
    return "requeued"


def sweep_expired_leases(*, now: datetime | None = None) -> dict[str, int]:
    """Re-enqueue steps whose worker vanished (lease expired) or whose message was lost; fail those out of attempts.

    A running step past its lease goes back to pending and is enqueued again,
    or fails once it has used every attempt. A pending step of a running or
    approved request whose task was sent (or whose retry fell due) more than a
    lease ago is sent again too: the broker lost its message, or a killed
    worker took it down with it. Each such step is resent at most once per
    lease, not on every run, so a long queue is not flooded with copies of
    itself; a duplicate message is harmless anyway, since claiming is guarded
    by the lock. Returns the counts.

    Each expired step is handled in a transaction of its own: recording its
    event takes the audit chain's lock, and holding that while locking the
    next step's request would deadlock with a worker that holds that request
    and waits for the chain.
    """
    from consent.erasure import engine_tasks

    now = now or timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    counts = {"requeued": 0, "failed": 0, "resent": 0, "completed": 0}
    expired_ids = list(
        ErasureStep.objects.filter(status=StepStatus.RUNNING, lease_expires_at__lt=now).values_list("pk", flat=True)
    )
    for step_id in expired_ids:
        outcome = _requeue_expired(step_id=step_id, now=now)
        if outcome:
            counts[outcome] += 1
    lost = (
        ErasureStep.objects.filter(
            status=StepStatus.PENDING, request__status__in=[RequestStatus.APPROVED, RequestStatus.RUNNING]
        )
        .exclude(pk__in=expired_ids)
        .filter(Q(queued_at__lt=stale) | Q(queued_at__isnull=True, created_at__lt=stale))
    )
    lost_ids = list(lost.values_list("pk", flat=True))
    with transaction.atomic():
        engine_tasks.enqueue_step_ids(lost_ids)
    counts["resent"] = len(lost_ids)
    idle = ErasureRequest.objects.filter(status=RequestStatus.APPROVED, approved_at__lt=stale).exclude(
        steps__status__in=[StepStatus.PENDING, StepStatus.RUNNING, StepStatus.FAILED]
    )
    counts["completed"] = sum(complete_without_steps(request_id=pk) for pk in idle.values_list("pk", flat=True))
    return counts
