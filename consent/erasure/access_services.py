"""Every write to an access request before its export runs: intake, verification (which starts the export), rejection.

Like the erasure services: keyword-only, one transaction with the request row
locked, the current state checked, an audit event in the same transaction
naming the request (``#A12``), the subject by pseudonymous external id and
the kinds of identifiers given, never an identifier in clear. Invalid input
raises ``ValidationError`` keyed by field; a change the state does not allow
raises ``ErasureActionRefused`` with a message a person can act on. Who may
call them is the caller's check (views by model permission, the API by scope).

The export itself (each location read, the archive built, downloads, expiry)
is ``access_engine``'s.
"""

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from consent.erasure import access_archive
from consent.erasure.access_models import AccessRequest, AccessResult, AccessResultStatus, AccessStatus
from consent.erasure.models import RejectionReason, VerificationMethod
from consent.erasure.selectors import request_keys
from consent.erasure.services import (
    MAX_CLAUSE_LENGTH,
    MAX_NOTE_LENGTH,
    _clean_assignee,
    _end_pause,
    _event,
    _label,
    _require_status,
    clean_intake,
    record_verification,
    reveal_identifiers,
)
from consent.jurisdictions import Regime
from consent.models import DataSubject
from datasets.connectors import NotApplicable, SubjectKeys
from datasets.models import StorageLocation
from datasets.services.common import FieldErrors, clean_choice, clean_text

# The right each regulation gives, when the person filing names no clause.
DEFAULT_CLAUSES = {
    Regime.GDPR: "GDPR Art. 15",
    Regime.CCPA: "CCPA §1798.110",
    Regime.POLICY: "Internal policy",
}


def _locked(request: AccessRequest) -> AccessRequest:
    """Return ``request`` fresh from the database, row-locked until the transaction ends."""
    return AccessRequest.objects.select_for_update(of=("self",)).select_related("subject").get(pk=request.pk)


@transaction.atomic
def receive_access_request(
    *,
    actor,
    subject: DataSubject | None = None,
    identifiers: dict | None = None,
    regulation: str | None = None,
    clause: str = "",
    source: str,
    requester_contact: str = "",
    assignee=None,
    received_at: datetime | None = None,
    verified_by_trusted_key: bool = False,
) -> AccessRequest:
    """File an access request for a known subject, or for a person known only by email and/or phone.

    The regulation defaults to the subject's regime (the internal policy for a
    person Custos has no record of) and the clause to its right of access
    (GDPR Art. 15, CCPA §1798.110). The request is due by the same statutory
    clock as an erasure request. ``verified_by_trusted_key`` records the
    verification at once (method "trusted API key"), which starts the export:
    the caller checks that the key holds ``erasure:approve``.
    """
    intake = clean_intake(
        subject=subject,
        identifiers=identifiers,
        regulation=regulation,
        clause=clause,
        source=source,
        requester_contact=requester_contact,
        assignee=assignee,
        clean_assignee=partial(_clean_assignee, model=AccessRequest),
    )
    request = AccessRequest(**intake.model_fields(actor=actor, default_clauses=DEFAULT_CLAUSES, received_at=received_at))
    request.save()
    _event(actor, "access.received", request, **intake.event_data(request))
    if verified_by_trusted_key:
        request = verify_access_request(
            actor=actor,
            request=request,
            method=VerificationMethod.TRUSTED_API_KEY,
            evidence_note=f"verified: true from {_label(actor)}",
        )
    return request


@transaction.atomic
def reveal_access_identifiers(*, actor, request: AccessRequest) -> dict[str, str | None]:
    """Return the identifiers and contact given with the request in clear (to send the archive), recording the read.

    Raises PermissionDenied unless ``actor`` may reveal identifiers (DPO).
    """
    return reveal_identifiers(actor=actor, request=request, action="access.identifiers_revealed")


@transaction.atomic
def verify_access_request(*, actor, request: AccessRequest, method: str, evidence_note: str) -> AccessRequest:
    """Record that the requester's identity was verified, how and on what evidence, and start the export.

    A paused clock (waiting on the requester for proof) resumes: the requester answered.
    """
    request = record_verification(
        actor=actor, request=request, method=method, evidence_note=evidence_note, action="access.verified"
    )
    return start_access_export(actor=actor, request=request)


def _not_applicable_reason(location: StorageLocation, keys: set[str]) -> str:
    try:
        # Only the kinds matter here: any non-empty value stands for a key the request gives.
        SubjectKeys(**{kind: "given" for kind in keys}).for_location(location)
    except NotApplicable as reason:
        return reason.message
    return ""


@transaction.atomic
def start_access_export(*, actor, request: AccessRequest) -> AccessRequest:
    """Ask every storage location for the subject's records, in the background: one result per location.

    A location keyed by an identifier the request does not give is recorded
    as not applicable with that reason. Legal holds do not apply: they stop
    erasure, not the right of access.
    """
    from consent.erasure import access_tasks  # the tasks build on these services

    request = _locked(request)
    _require_status(request, [AccessStatus.VERIFIED], "exported")
    keys = request_keys(request)
    now = timezone.now()
    results = []
    for location in StorageLocation.objects.select_related("dataset").order_by("dataset__name", "name", "pk"):
        reason = "" if location.subject_key in keys else _not_applicable_reason(location, keys)
        results.append(
            AccessResult(
                request=request,
                location=location,
                status=AccessResultStatus.NOT_APPLICABLE if reason else AccessResultStatus.PENDING,
                error=reason,
                finished_at=now if reason else None,
            )
        )
    AccessResult.objects.bulk_create(results)
    request.status = AccessStatus.RUNNING
    # The key every file of this request is encrypted with (the parts, then the archive).
    request.archive_key = access_archive.new_key()
    request.save()
    pending = [result for result in results if result.status == AccessResultStatus.PENDING]
    _event(actor, "access.started", request, locations=len(pending), not_applicable=len(results) - len(pending))
    access_tasks.enqueue_results(request)
    return request


@transaction.atomic
def reject_access_request(*, actor, request: AccessRequest, reason: str, clause: str, note: str = "") -> AccessRequest:
    """Refuse a request whose export has not started: identity unverifiable, or an exemption, with the clause."""
    errors = FieldErrors()
    reason = errors.check("reason", lambda: clean_choice(reason, RejectionReason, label="rejection reason"))
    clause = errors.check(
        "clause", lambda: clean_text(clause, label="clause", max_length=MAX_CLAUSE_LENGTH, required=True)
    )
    note = errors.check("note", lambda: clean_text(note, label="note", max_length=MAX_NOTE_LENGTH))
    if reason == RejectionReason.LEGAL_HOLD:
        errors.add("reason", "A legal hold stops erasure, not access: the person may still see their data.")
    errors.raise_if_any()
    request = _locked(request)
    _require_status(request, [AccessStatus.RECEIVED, AccessStatus.VERIFIED], "rejected")
    now = timezone.now()
    _end_pause(request, now)
    request.status = AccessStatus.REJECTED
    request.rejection_reason = reason
    request.rejection_clause = clause
    request.rejection_note = note
    request.rejected_at = now
    request.save()
    _event(actor, "access.rejected", request, reason=reason, clause=clause)
    return request
