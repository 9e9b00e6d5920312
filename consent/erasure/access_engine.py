"""The access export engine: read each location under a lease, build the encrypted archive, serve and expire it.

The erasure engine's rules in read mode. The database is the source of
truth: a result is claimed under a row lock (request first, then result)
with a lease and one more attempt; the connector's ``export`` runs outside
any transaction; its records go to an encrypted part file and the result is
marked done once (a duplicate delivery finds it no longer running and
records nothing). Transient errors put the result back to pending for a
retry with the erasure engine's backoff and attempt limit; permanent ones
fail it with the connector's reason, and the request with it (the other
locations carry on; the DPO can retry). When every location has answered or
is not applicable, the archive is built once, under the request's lock, and
the request is ready until ``ACCESS_EXPORT_TTL_HOURS`` have passed.

Results: pending → running → done | pending (transient, attempts left) |
failed. The request: running → ready → expired; running → failed → running.
"""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from consent.erasure import access_archive
from consent.erasure.access_models import AccessRequest, AccessResult, AccessResultStatus, AccessStatus
from consent.erasure.access_selectors import results_for_request
from consent.erasure.access_services import _require_status
from consent.erasure.execution import Outcome, lease_seconds, max_attempts, subject_keys
from consent.erasure.services import ErasureActionRefused
from datasets import connectors

ENGINE = SystemActor("access engine")


class ArchiveGone(Exception):
    """The archive expired and was deleted; the message says when."""

    @property
    def message(self) -> str:
        return str(self.args[0])


def ttl() -> timedelta:
    return timedelta(hours=settings.ACCESS_EXPORT_TTL_HOURS)


def _locked_pair(result_id: int) -> tuple[AccessRequest, AccessResult] | None:
    request_id = AccessResult.objects.filter(pk=result_id).values_list("request_id", flat=True).first()
    if request_id is None:
        return None
    request = AccessRequest.objects.select_for_update(of=("self",)).select_related("subject").get(pk=request_id)
    result = AccessResult.objects.select_for_update(of=("self",)).select_related("location").get(pk=result_id)
    return request, result


def _locked_running(result_id: int) -> tuple[AccessRequest, AccessResult] | None:
    locked = _locked_pair(result_id)
    return locked if locked is not None and locked[1].status == AccessResultStatus.RUNNING else None


def _result_event(action: str, request: AccessRequest, result: AccessResult, **data) -> None:
    record_event(
        actor=ENGINE,
        action=action,
        target=request,
        data={"request": request.reference, "location": str(result.location_id), **data},
    )


def _fail(request: AccessRequest, result: AccessResult, reason: str, now: datetime) -> None:
    result.status = AccessResultStatus.FAILED
    result.error = reason
    result.lease_expires_at = None
    result.finished_at = now
    result.save()
    _result_event("access.location_failed", request, result, attempts=result.attempts, reason=reason)
    if request.status == AccessStatus.RUNNING:
        request.status = AccessStatus.FAILED
        request.save(update_fields=["status", "updated_at"])
        record_event(actor=ENGINE, action="access.failed", target=request, data={"request": request.reference})


def _gave_up(result: AccessResult, reason: str) -> str:
    return f"Gave up after {result.attempts} attempts. Last error: {reason}"


@transaction.atomic
def claim_result(*, result_id: int, now: datetime | None = None) -> AccessResult | None:
    """Claim a pending result (or a running one whose lease expired); return it, or None when not to run it."""
    now = now or timezone.now()
    locked = _locked_pair(result_id)
    if locked is None:
        return None
    request, result = locked
    if request.status not in (AccessStatus.RUNNING, AccessStatus.FAILED):
        return None
    if result.status not in (AccessResultStatus.PENDING, AccessResultStatus.RUNNING):
        return None
    if result.status == AccessResultStatus.RUNNING and result.lease_expires_at and result.lease_expires_at > now:
        return None
    if result.attempts >= max_attempts():
        _fail(request, result, _gave_up(result, result.error or "the read never finished."), now)
        return None
    result.status = AccessResultStatus.RUNNING
    result.attempts += 1
    result.lease_expires_at = now + timedelta(seconds=lease_seconds())
    result.started_at = result.started_at or now
    result.save()
    result.request = request
    return result


@transaction.atomic
def finish_result(*, result_id: int, exported: connectors.Exported, now: datetime | None = None) -> bool:
    """Store the records read (encrypted) and mark the result done; return False when it was no longer running."""
    now = now or timezone.now()
    locked = _locked_running(result_id)
    if locked is None:
        return False
    request, result = locked
    records = connectors.base.json_safe(exported.records)
    part = access_archive.write_encrypted(
        request, role=access_archive.part_role(result), content=json.dumps(records).encode()
    )
    result.status = AccessResultStatus.DONE
    result.part_name = part
    result.records_exported = len(records)
    result.fields = list(exported.fields)
    result.error = ""
    result.lease_expires_at = None
    result.finished_at = now
    result.save()
    _result_event("access.location_read", request, result, records=len(records), attempt=result.attempts)
    _assemble_when_answered(request)
    return True


@transaction.atomic
def fail_result(*, result_id: int, reason: str, now: datetime | None = None) -> bool:
    """Fail a running result with a reason a person can act on, and its request with it."""
    locked = _locked_running(result_id)
    if locked is None:
        return False
    _fail(*locked, reason, now or timezone.now())
    return True


@transaction.atomic
def release_for_retry(*, result_id: int, reason: str, now: datetime | None = None) -> bool:
    """Put a running result that hit a transient error back to pending; return whether to try again."""
    now = now or timezone.now()
    locked = _locked_running(result_id)
    if locked is None:
        return False
    request, result = locked
    if result.attempts >= max_attempts():
        _fail(request, result, _gave_up(result, reason), now)
        return False
    result.status = AccessResultStatus.PENDING
    result.error = reason
    result.lease_expires_at = None
    result.save()
    _result_event("access.location_retrying", request, result, attempts=result.attempts, reason=reason)
    return True


def run_result(*, result_id: int) -> Outcome:
    """Claim the result, read the subject's records from its location and record the outcome."""
    result = claim_result(result_id=result_id)
    if result is None:
        return Outcome.NOT_CLAIMED
    try:
        exported = connectors.export(result.location, subject_keys(result.request))
    except connectors.TransientError as error:
        return Outcome.RETRY if release_for_retry(result_id=result_id, reason=error.message) else Outcome.FAILED
    except (connectors.PermanentError, connectors.NotApplicable) as error:
        fail_result(result_id=result_id, reason=error.message)
        return Outcome.FAILED
    finish_result(result_id=result_id, exported=exported)
    return Outcome.DONE


def _assemble_when_answered(request: AccessRequest) -> None:
    """Enqueue the archive's assembly after commit when the (locked) running request has every answer."""
    from consent.erasure import access_tasks

    if request.status == AccessStatus.RUNNING and not request.results.exclude(status__in=AccessResult.ANSWERED).exists():
        access_tasks.enqueue_assembly(request)


# --- The archive ---------------------------------------------------------------------------------


LOST_PART = "Its records were lost before the archive was built (the part file is missing or unreadable); reading again."


def _read_parts(request: AccessRequest, results: list[AccessResult]) -> dict[int, list] | None:
    """Return the records of every done result by id; None when a part is lost (its result is read again)."""
    from consent.erasure import access_tasks

    records, lost = {}, []
    for result in results:
        if result.status != AccessResultStatus.DONE:
            continue
        try:
            part = access_archive.read_encrypted(request, role=access_archive.part_role(result), name=result.part_name)
        except access_archive.ArchiveUnreadable:
            lost.append(result)
            continue
        records[result.pk] = json.loads(part)
    for result in lost:
        AccessResult.objects.filter(pk=result.pk).update(
            status=AccessResultStatus.PENDING, part_name="", records_exported=None, error=LOST_PART, finished_at=None
        )
        _result_event("access.location_retrying", request, result, attempts=result.attempts, reason=LOST_PART)
        access_tasks.enqueue_result(result.pk)
    return None if lost else records


@transaction.atomic
def assemble_archive(*, request_id: int, now: datetime | None = None) -> bool:
    """Build, encrypt and store the ZIP of a running request whose locations all answered; return whether it did.

    Runs once: under the request's lock, only while it is running with every
    answer in. The parts are deleted once the archive holds them.
    """
    now = now or timezone.now()
    request = AccessRequest.objects.select_for_update(of=("self",)).filter(pk=request_id).first()
    if request is None or request.status != AccessStatus.RUNNING:
        return False
    results = results_for_request(request=request)
    if any(result.status not in AccessResult.ANSWERED for result in results):
        return False
    records = _read_parts(request, results)
    if records is None:
        return False
    expires_at = now + ttl()
    content = access_archive.build_zip(request, results, records=records, generated_at=now, expires_at=expires_at)
    request.archive_name = access_archive.write_encrypted(request, role=access_archive.ARCHIVE_ROLE, content=content)
    request.archive_sha256 = access_archive.sha256(content)
    request.archive_size = len(content)
    request.generated_at = now
    request.expires_at = expires_at
    request.status = AccessStatus.READY
    request.save()
    parts = [result.part_name for result in results if result.part_name]
    AccessResult.objects.filter(request=request).update(part_name="")
    record_event(
        actor=ENGINE,
        action="access.ready",
        target=request,
        data={
            "request": request.reference,
            "sha256": request.archive_sha256,
            "bytes": request.archive_size,
            "records": sum(result.records_exported or 0 for result in results),
            "expires_at": expires_at.isoformat(),
        },
    )
    transaction.on_commit(lambda: [access_archive.delete(name) for name in parts])
    return True


def _expired_sentence(request: AccessRequest) -> str:
    if request.expired_at and request.expires_at and request.expired_at < request.expires_at:
        when = timezone.localtime(request.expired_at).strftime("%d %B %Y %H:%M %Z")
        return (
            f"The archive of access request {request.reference} was deleted on {when}, before its expiry, "
            "because an erasure of the same person completed; nothing can be downloaded any more."
        )
    when = timezone.localtime(request.expires_at).strftime("%d %B %Y %H:%M %Z")
    return (
        f"The archive of access request {request.reference} expired on {when} and was deleted; "
        "nothing can be downloaded any more."
    )


@transaction.atomic
def archive_for_download(*, actor, request: AccessRequest, now: datetime | None = None) -> bytes:
    """Return the decrypted ZIP of a ready request and record the download (``access.downloaded``, with its sha256).

    Raises ArchiveGone past its expiry (even before the sweeper deletes it) and
    ErasureActionRefused when the request has no archive yet.
    """
    now = now or timezone.now()
    request = AccessRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    if request.status == AccessStatus.EXPIRED or (
        request.status == AccessStatus.READY and request.expires_at and request.expires_at <= now
    ):
        raise ArchiveGone(_expired_sentence(request))
    if request.status != AccessStatus.READY:
        raise ErasureActionRefused(
            f"Access request {request.reference} is {request.status}; its archive can be downloaded once it is ready."
        )
    try:
        content = access_archive.read_encrypted(request, role=access_archive.ARCHIVE_ROLE, name=request.archive_name)
    except access_archive.ArchiveUnreadable as error:
        raise ErasureActionRefused(f"The archive of access request {request.reference} cannot be read: {error}") from None
    digest = access_archive.sha256(content)
    if digest != request.archive_sha256:
        raise ErasureActionRefused(
            f"The archive of access request {request.reference} no longer matches the sha256 recorded when it was built."
        )
    record_event(
        actor=actor, action="access.downloaded", target=request, data={"request": request.reference, "sha256": digest}
    )
    return content


# --- Retry, sweeping, expiry -------------------------------------------------------------------


@transaction.atomic
def retry_failed_results(*, actor, request: AccessRequest) -> AccessRequest:
    """Give a failed request's failed locations a fresh set of attempts; the request runs again."""
    from consent.erasure import access_tasks

    request = AccessRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    _require_status(request, [AccessStatus.FAILED], "retried")
    failed = list(request.results.select_for_update(of=("self",)).filter(status=AccessResultStatus.FAILED))
    for result in failed:
        result.status = AccessResultStatus.PENDING
        result.attempts = 0
        result.lease_expires_at = None
        result.finished_at = None
        result.save()
    request.status = AccessStatus.RUNNING
    request.save(update_fields=["status", "updated_at"])
    record_event(
        actor=actor,
        action="access.retried",
        target=request,
        data={"request": request.reference, "locations": [str(result.location_id) for result in failed]},
    )
    access_tasks.enqueue_results(request)
    return request


def _expire(request: AccessRequest, *, now: datetime, action: str, **data) -> None:
    name = request.archive_name
    request.status = AccessStatus.EXPIRED
    request.expired_at = now
    request.archive_key = None
    request.save()
    record_event(
        actor=ENGINE,
        action=action,
        target=request,
        data={"request": request.reference, "sha256": request.archive_sha256, **data},
    )
    transaction.on_commit(lambda: access_archive.delete(name))


@transaction.atomic
def expire_archives(*, now: datetime | None = None) -> int:
    """Delete the archives past their expiry and mark their requests expired; return how many.

    The archive's key is erased with the file, so no copy of it (a backup)
    can be opened either.
    """
    now = now or timezone.now()
    due = AccessRequest.objects.select_for_update(of=("self",)).filter(status=AccessStatus.READY, expires_at__lte=now)
    expired = 0
    for request in due:
        _expire(request, now=now, action="access.expired")
        expired += 1
    return expired


def erase_access_copies(*, person: Q, erasure_reference: str, now: datetime | None = None) -> dict[str, int]:
    """Delete the ready archives of the person an erasure completed for, and reduce their access requests' identifiers.

    An archive is a copy of the person's records held by Custos, so an
    erasure reaches it too (GDPR Art. 17(1)): it is deleted at once, with its
    key, rather than at its expiry. ``person`` selects the access requests of
    the same subject or blind indexes. Runs in the caller's transaction (the
    erasure's completion).
    """
    now = now or timezone.now()
    requests = AccessRequest.objects.select_for_update(of=("self",)).filter(person)
    archives = 0
    for request in requests.filter(status=AccessStatus.READY):
        _expire(request, now=now, action="access.erased", erasure=erasure_reference)
        archives += 1
    reduced = requests.exclude(email=None, phone=None).update(email=None, phone=None)
    return {"access_archives_deleted": archives, "access_requests_reduced": reduced}


def sweep_results(*, now: datetime | None = None) -> dict[str, int]:
    """Re-enqueue results whose worker vanished or whose message was lost, and assemble answered requests.

    Claiming is guarded by the lock and the lease, so a duplicate message is harmless.
    """
    from consent.erasure import access_tasks

    now = now or timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    lost = AccessResult.objects.filter(request__status__in=[AccessStatus.RUNNING, AccessStatus.FAILED]).filter(
        Q(status=AccessResultStatus.RUNNING, lease_expires_at__lt=now)
        | Q(status=AccessResultStatus.PENDING, created_at__lt=stale)
        & (Q(started_at__isnull=True) | Q(started_at__lt=stale))
    )
    counts = {"resent": 0, "assembled": 0}
    with transaction.atomic():
        for result_id in lost.values_list("pk", flat=True):
            access_tasks.enqueue_result(result_id)
            counts["resent"] += 1
    idle = AccessRequest.objects.filter(status=AccessStatus.RUNNING, updated_at__lt=stale).exclude(
        results__status__in=[AccessResultStatus.PENDING, AccessResultStatus.RUNNING, AccessResultStatus.FAILED]
    )
    counts["assembled"] = sum(assemble_archive(request_id=pk, now=now) for pk in idle.values_list("pk", flat=True))
    return counts
