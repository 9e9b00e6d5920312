"""Every write to erasure requests and legal holds, and the clock and reminders of access requests too.

Each service takes keyword arguments, runs in one transaction with the request
row locked, checks the request's current state and records its audit event in
the same transaction. Audit events name the request (``#12``), the subject by
its pseudonymous external id and the kinds of identifiers given, never an
identifier in clear. Invalid input raises ``ValidationError`` keyed by field; a
change the current state does not allow raises ``ErasureActionRefused`` with a
message a person can act on. Who may call them is the caller's check (views by
model permission, the API by scope), since the actor may be an API key.

The clock services (``extend_deadline``, ``pause_clock``, ``resume_clock``,
``reassign_request``) and ``send_reminders`` take an erasure or an access
request alike (``KINDS`` says what differs: the audit actions ``erasure.*`` or
``access.*``, who may handle it, its page).

Approval leaves the request ``approved`` with its steps ``pending`` (or
``skipped`` under a legal hold); the execution engine enqueues the steps after
commit and moves the request on.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from compliance.audit.actors import SystemActor, describe_actor
from compliance.audit.services import record_event
from consent.erasure import clocks
from consent.erasure.selectors import applicable_locations, holds_for_request
from consent.erasure.models import (
    AccessReminder,
    AccessRequest,
    ErasureReminder,
    ErasureRequest,
    ErasureStep,
    LegalHold,
    RejectionReason,
    Reminder,
    RequestSource,
    RequestStatus,
    StepStatus,
    VerificationMethod,
)
from consent.jurisdictions import Regime
from consent.models import DataSubject
from consent.services.subjects import REVEAL_PERMISSION, clean_email, clean_phone
from datasets.models import Dataset
from datasets.services.common import FieldErrors, clean_choice, clean_text

HANDLER_PERMISSION = "erasure.change_erasurerequest"
ACCESS_HANDLER_PERMISSION = "erasure.change_accessrequest"
MAX_CLAUSE_LENGTH = 100
MAX_NOTE_LENGTH = 5000
MAX_CONTACT_LENGTH = 500
# The provision a request relies on when the person filing it names none.
DEFAULT_CLAUSES = {
    Regime.GDPR: "GDPR Art. 17(1)",
    Regime.CCPA: "CCPA §1798.105",
    Regime.POLICY: "Internal policy",
}
REMINDER_ACTOR = SystemActor("reminders")
Status = RequestStatus


@dataclass(frozen=True)
class RequestKind:
    """What differs between erasure and access requests for the shared clock, reassignment and reminder services."""

    audit: str  # the audit actions' prefix: "erasure" or "access"
    title: str  # "Erasure request #12" in reminder mails
    refused_as: str  # "Request #12 is ..." in refusals
    plural: str  # "cannot handle erasure requests"
    handler_permission: str
    detail_url: str
    reminder_model: type


KINDS = {
    ErasureRequest: RequestKind(
        audit="erasure",
        title="Erasure request",
        refused_as="Request",
        plural="erasure requests",
        handler_permission=HANDLER_PERMISSION,
        detail_url="erasure:request_detail",
        reminder_model=ErasureReminder,
    ),
    AccessRequest: RequestKind(
        audit="access",
        title="Access request",
        refused_as="Access request",
        plural="access requests",
        handler_permission=ACCESS_HANDLER_PERMISSION,
        detail_url="erasure:access_detail",
        reminder_model=AccessReminder,
    ),
}


def kind_of(request) -> RequestKind:
    """Return what sets ``request`` (an erasure or an access request) apart for the shared services."""
    return KINDS[type(request)]


class ErasureActionRefused(Exception):
    """The change is not allowed in the request's (or hold's) current state; the message says why."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


def _or_list(statuses) -> str:
    labels = [str(status) for status in statuses]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def _require_status(request, allowed, doing: str) -> None:
    """Refuse, saying why, unless the (erasure or access) request's status is one of ``allowed``."""
    if request.status not in allowed:
        raise ErasureActionRefused(
            f"{kind_of(request).refused_as} {request.reference} is {request.status}; "
            f"only {_or_list(allowed)} requests can be {doing}."
        )


def _locked(request):
    """Return ``request`` (erasure or access) fresh from the database, row-locked until the transaction ends."""
    return type(request).objects.select_for_update().get(pk=request.pk)


def _label(actor) -> str:
    return describe_actor(actor)[2]


def _refresh_due(request) -> None:
    request.due_at = clocks.due_at(
        regulation=request.regulation,
        received_at=request.received_at,
        extended=request.extended,
        paused_total=request.paused_total,
    )


def _end_pause(request, now: datetime) -> bool:
    """Stop a paused clock at ``now``, adding the pause to the total; return whether it was paused."""
    if request.paused_at is None:
        return False
    request.paused_total += max(now - request.paused_at, timedelta(0))
    request.paused_at = None
    _refresh_due(request)
    return True


def _clean_assignee(value, *, model: type = ErasureRequest):
    """Return ``value`` if it may handle ``model``'s requests (None leaves it unassigned), else raise ValidationError."""
    if value is None:
        return None
    kind = KINDS[model]
    if not value.is_active or not value.has_perm(kind.handler_permission):
        raise ValidationError(f"{value.get_username()} cannot handle {kind.plural}; choose a DPO.")
    return value


def _event(actor, action: str, request, **data) -> None:
    record_event(actor=actor, action=action, target=request, data={"request": request.reference, **data})


# --- Intake ------------------------------------------------------------------------------------


def _clean_identifiers(errors: FieldErrors, identifiers: dict | None) -> dict[str, str]:
    if identifiers is None:
        return {}
    if not isinstance(identifiers, dict):
        errors.add("identifiers", "Give the identifiers as an object with email and/or phone.")
        return {}
    unknown = sorted(set(identifiers) - {"email", "phone"})
    if unknown:
        errors.add("identifiers", f"Unknown identifier {', '.join(unknown)}: give email and/or phone.")
    cleaned = {
        "email": errors.check("email", lambda: clean_email(identifiers.get("email") or "")),
        "phone": errors.check("phone", lambda: clean_phone(identifiers.get("phone") or "")),
    }
    return {kind: value for kind, value in cleaned.items() if value}


@dataclass(frozen=True)
class Intake:
    """A request's cleaned intake, shared by erasure and access requests: who it is about, the clock, the contact."""

    subject: DataSubject | None
    identifiers: dict[str, str]
    regulation: str
    clause: str
    source: str
    contact: str
    assignee: object

    def model_fields(self, *, actor, default_clauses: dict, received_at: datetime | None) -> dict:
        """Return the request's fields: the clause defaults to the regulation's, the clock starts at ``received_at`` (now)."""
        received_at = received_at or timezone.now()
        return {
            "subject": self.subject,
            "email": self.identifiers.get("email"),
            "phone": self.identifiers.get("phone"),
            "regulation": self.regulation,
            "clause": self.clause or default_clauses[self.regulation],
            "source": self.source,
            "requester_contact": self.contact or None,
            "assignee": self.assignee,
            "received_at": received_at,
            "due_at": clocks.due_at(regulation=self.regulation, received_at=received_at),
            "created_by": _label(actor),
        }

    def event_data(self, request) -> dict:
        """Return the "received" audit event's data: pseudonymous, the kinds of identifiers only."""
        return {
            "subject": self.subject.external_id if self.subject else None,
            "identifiers": sorted(self.identifiers),
            "regulation": self.regulation,
            "clause": request.clause,
            "source": self.source,
            "assignee": self.assignee.get_username() if self.assignee else None,
            "due_at": request.due_at.isoformat(),
        }


def clean_intake(
    *, subject, identifiers, regulation, clause: str, source: str, requester_contact: str, assignee, clean_assignee
) -> Intake:
    """Check a request's intake, raising every field's problem together as one ValidationError.

    The regulation defaults to the subject's regime (from their jurisdiction),
    and to the internal policy for a person Custos has no record of.
    """
    errors = FieldErrors()
    given = _clean_identifiers(errors, identifiers)
    if subject is not None and given:
        errors.add("identifiers", "Name a known subject or give identifiers for an unknown person, not both.")
    if subject is None and not given and "email" not in errors.by_field and "phone" not in errors.by_field:
        errors.add("subject", "Name the subject by external id, or give the person's email or phone.")
    if regulation in (None, ""):
        regulation = subject.regime if subject is not None else Regime.POLICY
    regulation = errors.check("regulation", lambda: clean_choice(regulation, Regime, label="regulation"))
    source = errors.check("source", lambda: clean_choice(source, RequestSource, label="source"))
    clause = errors.check("clause", lambda: clean_text(clause, label="clause", max_length=MAX_CLAUSE_LENGTH))
    contact = errors.check(
        "requester_contact",
        lambda: clean_text(requester_contact, label="requester contact", max_length=MAX_CONTACT_LENGTH),
    )
    assignee = errors.check("assignee", lambda: clean_assignee(assignee))
    errors.raise_if_any()
    return Intake(subject, given, regulation, clause, source, contact, assignee)


@transaction.atomic
def receive_erasure_request(
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
) -> ErasureRequest:
    """File an erasure request for a known subject, or for a person known only by email and/or phone.

    The regulation defaults to the subject's regime (from their jurisdiction),
    and to the internal policy for a person Custos has no record of; the clause
    to the regulation's erasure provision. The request is due by its
    regulation's clock from ``received_at`` (now by default).
    ``verified_by_trusted_key`` records the verification at once, method
    "trusted API key": the caller checks that the key holds ``erasure:approve``.
    """
    intake = clean_intake(
        subject=subject,
        identifiers=identifiers,
        regulation=regulation,
        clause=clause,
        source=source,
        requester_contact=requester_contact,
        assignee=assignee,
        clean_assignee=_clean_assignee,
    )
    request = ErasureRequest(**intake.model_fields(actor=actor, default_clauses=DEFAULT_CLAUSES, received_at=received_at))
    request.save()
    _event(actor, "erasure.received", request, **intake.event_data(request))
    if verified_by_trusted_key:
        request = verify_erasure_request(
            actor=actor,
            request=request,
            method=VerificationMethod.TRUSTED_API_KEY,
            evidence_note=f"verified: true from {_label(actor)}",
        )
    return request


@transaction.atomic
def reveal_request_identifiers(*, actor, request: ErasureRequest) -> dict[str, str | None]:
    """Return the identifiers and requester contact given with the request in clear, and record that ``actor`` read them.

    Raises PermissionDenied unless ``actor`` may reveal identifiers (DPO).
    """
    return reveal_identifiers(actor=actor, request=request, action="erasure.identifiers_revealed")


def reveal_identifiers(*, actor, request, action: str) -> dict[str, str | None]:
    """Return a request's identifiers and contact in clear, recording ``action`` (erasure or access requests alike)."""
    if not actor.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied("Revealing a requester's identifiers needs the consent.reveal_identifiers permission (DPO).")
    revealed = {"email": request.email, "phone": request.phone, "requester_contact": request.requester_contact}
    _event(actor, action, request, fields=[field for field, value in revealed.items() if value])
    return revealed


# --- Verification, approval, rejection ---------------------------------------------------------


def record_verification(*, actor, request, method: str, evidence_note: str, action: str):
    """Record on a received erasure or access request how the requester's identity was verified; return it locked.

    Both kinds share the states "received" and "verified". A paused clock
    (waiting on the requester for proof) resumes: the requester answered.
    Runs in the caller's transaction; ``action`` names the audit event.
    """
    errors = FieldErrors()
    method = errors.check("method", lambda: clean_choice(method, VerificationMethod, label="verification method"))
    required = method != VerificationMethod.TRUSTED_API_KEY
    note = errors.check(
        "evidence_note",
        lambda: clean_text(evidence_note, label="evidence note", max_length=MAX_NOTE_LENGTH, required=required),
    )
    errors.raise_if_any()
    request = _locked(request)
    _require_status(request, [Status.RECEIVED], "verified")
    now = timezone.now()
    resumed = _end_pause(request, now)
    request.status = Status.VERIFIED
    request.verification_method = method
    request.verification_note = note
    request.verified_by = _label(actor)
    request.verified_at = now
    request.save()
    _event(actor, action, request, method=method, clock_resumed=resumed)
    return request


@transaction.atomic
def verify_erasure_request(*, actor, request: ErasureRequest, method: str, evidence_note: str) -> ErasureRequest:
    """Record that the requester's identity was verified, how, and on what evidence.

    A paused clock (waiting on the requester for proof) resumes: the requester answered.
    """
    return record_verification(actor=actor, request=request, method=method, evidence_note=evidence_note, action="erasure.verified")


def _skip_reason(hold: LegalHold) -> str:
    return f"Legal hold #{hold.pk} on {hold.target_label}: {hold.reason}"[:500]


@transaction.atomic
def approve_erasure_request(*, actor, request: ErasureRequest) -> ErasureRequest:
    """Approve a verified request: one step per storage location that may hold the subject.

    A location may hold the subject when it is keyed by an identifier the
    request can supply (``request_keys``). Locations under an active legal hold,
    on their dataset or on the subject, get a ``skipped`` step naming the hold.
    The request stays ``approved``; the execution engine runs the pending steps.
    """
    request = _locked(request)
    _require_status(request, [Status.VERIFIED], "approved")
    now = timezone.now()
    resumed = _end_pause(request, now)
    locations = applicable_locations(request)
    holds = holds_for_request(request, datasets={location.dataset_id for location in locations}, now=now)
    subject_hold = next((hold for hold in holds if hold.subject_id), None)
    dataset_holds: dict[int, LegalHold] = {}
    for hold in holds:
        if hold.dataset_id:
            dataset_holds.setdefault(hold.dataset_id, hold)
    steps = []
    for location in locations:
        hold = subject_hold or dataset_holds.get(location.dataset_id)
        steps.append(
            ErasureStep(
                request=request,
                location=location,
                status=StepStatus.SKIPPED if hold else StepStatus.PENDING,
                legal_hold=hold,
                skipped_reason=_skip_reason(hold) if hold else "",
                finished_at=now if hold else None,
            )
        )
    ErasureStep.objects.bulk_create(steps)
    request.status = Status.APPROVED
    request.approved_by = _label(actor)
    request.approved_at = now
    request.save()
    _event(
        actor,
        "erasure.approved",
        request,
        steps=len(steps),
        skipped=[
            {"location": str(step.location.pk), "hold": step.legal_hold_id} for step in steps if step.legal_hold_id
        ],
        clock_resumed=resumed,
    )
    from consent.erasure import engine_tasks  # imported here: the engine builds on these services

    engine_tasks.enqueue_steps(request)
    return request


@transaction.atomic
def reject_erasure_request(
    *, actor, request: ErasureRequest, reason: str, clause: str, note: str = ""
) -> ErasureRequest:
    """Reject a request that was not approved: identity unverifiable, a legal hold, or an exemption, with the clause."""
    errors = FieldErrors()
    reason = errors.check("reason", lambda: clean_choice(reason, RejectionReason, label="rejection reason"))
    clause = errors.check(
        "clause", lambda: clean_text(clause, label="clause", max_length=MAX_CLAUSE_LENGTH, required=True)
    )
    note = errors.check("note", lambda: clean_text(note, label="note", max_length=MAX_NOTE_LENGTH))
    errors.raise_if_any()
    request = _locked(request)
    _require_status(request, [Status.RECEIVED, Status.VERIFIED], "rejected")
    now = timezone.now()
    _end_pause(request, now)
    request.status = Status.REJECTED
    request.rejection_reason = reason
    request.rejection_clause = clause
    request.rejection_note = note
    request.rejected_at = now
    request.save()
    _event(actor, "erasure.rejected", request, reason=reason, clause=clause)
    return request


@transaction.atomic
def cancel_erasure_approval(*, actor, request: ErasureRequest, reason: str) -> ErasureRequest:
    """Withdraw an approval before any step has run: the steps go and the request is verified again.

    From there it can be approved again (say, once a hold is set) or rejected.
    """
    reason = clean_text(reason, label="reason for cancelling", max_length=MAX_NOTE_LENGTH, required=True)
    request = _locked(request)
    _require_status(request, [Status.APPROVED], "cancelled")
    started = request.steps.exclude(status__in=[StepStatus.PENDING, StepStatus.SKIPPED]).count()
    if started or request.steps.filter(attempts__gt=0).exists():
        raise ErasureActionRefused(
            f"Request {request.reference} has steps that already started, so its approval can no longer be cancelled."
        )
    removed, _ = request.steps.all().delete()
    request.status = Status.VERIFIED
    request.approved_by = ""
    request.approved_at = None
    request.save()
    _event(actor, "erasure.approval_cancelled", request, steps_removed=removed, reason=reason)
    return request


# --- The clock (erasure and access requests alike) -------------------------------------------


@transaction.atomic
def extend_deadline(*, actor, request, reason: str):
    """Extend an open request's deadline, once: GDPR by two months with the reason, CCPA by 45 days with the notice given.

    ``request`` is an erasure or an access request (GDPR Art. 12(3) and CCPA
    §1798.130(a)(2) give both rights the same clock).
    """
    reason = clean_text(reason, label="reason for the extension", max_length=MAX_NOTE_LENGTH, required=True)
    request = _locked(request)
    _require_status(request, type(request).OPEN_STATUSES, "extended")
    if request.extended:
        raise ErasureActionRefused(
            f"{kind_of(request).refused_as} {request.reference}'s deadline was already extended on "
            f"{timezone.localtime(request.extended_at):%Y-%m-%d}; it can be extended only once."
        )
    previous = request.due_at
    request.extended = True
    request.extension_reason = reason
    request.extended_at = timezone.now()
    _refresh_due(request)
    request.save()
    _event(
        actor,
        f"{kind_of(request).audit}.deadline_extended",
        request,
        due_before=previous.isoformat(),
        due_at=request.due_at.isoformat(),
    )
    return request


@transaction.atomic
def pause_clock(*, actor, request):
    """Stop an erasure or access request's clock while waiting on the requester (for proof of identity, say).

    Only before the work starts: while received or verified (before approval, or before the export runs).
    """
    request = _locked(request)
    _require_status(request, [request.Status.RECEIVED, request.Status.VERIFIED], "paused")
    if request.paused_at is not None:
        raise ErasureActionRefused(
            f"{kind_of(request).refused_as} {request.reference}'s clock is already paused since "
            f"{timezone.localtime(request.paused_at):%Y-%m-%d %H:%M}."
        )
    request.paused_at = timezone.now()
    request.save()
    _event(actor, f"{kind_of(request).audit}.clock_paused", request)
    return request


@transaction.atomic
def resume_clock(*, actor, request):
    """Restart a paused clock (erasure or access request); the due date moves by exactly the time it was paused."""
    request = _locked(request)
    if request.paused_at is None:
        raise ErasureActionRefused(
            f"{kind_of(request).refused_as} {request.reference}'s clock is running; there is nothing to resume."
        )
    paused_at = request.paused_at
    _end_pause(request, timezone.now())
    request.save()
    _event(
        actor,
        f"{kind_of(request).audit}.clock_resumed",
        request,
        paused_at=paused_at.isoformat(),
        paused_seconds=round((timezone.now() - paused_at).total_seconds()),
        due_at=request.due_at.isoformat(),
    )
    return request


@transaction.atomic
def reassign_request(*, actor, request, assignee):
    """Give an open erasure or access request to another handler (None to leave it unassigned)."""
    assignee = _clean_assignee(assignee, model=type(request))
    request = _locked(request)
    _require_status(request, type(request).OPEN_STATUSES, "reassigned")
    request.assignee = assignee
    request.save()
    _event(
        actor,
        f"{kind_of(request).audit}.reassigned",
        request,
        assignee=assignee.get_username() if assignee else None,
    )
    return request


# --- Legal holds -------------------------------------------------------------------------------


@transaction.atomic
def set_legal_hold(
    *,
    actor,
    reason: str,
    dataset: Dataset | None = None,
    subject: DataSubject | None = None,
    until: datetime | None = None,
) -> LegalHold:
    """Put a dataset or a subject under legal hold.

    Approvals from now on create the locations it covers as skipped steps, and
    a step of an earlier approval that has not run yet is skipped when a worker
    claims it (the engine re-checks holds at claim time), so a hold set while a
    request is running still stops erasure where no step has started.
    """
    errors = FieldErrors()
    if (dataset is None) == (subject is None):
        errors.add("target", "Put the hold on a dataset or on a subject (one of them).")
    reason = errors.check("reason", lambda: clean_text(reason, label="reason", max_length=MAX_NOTE_LENGTH, required=True))
    if until is not None and until <= timezone.now():
        errors.add("until", "The end of the hold must be in the future; leave it empty for a hold until released.")
    errors.raise_if_any()
    user = actor if isinstance(actor, get_user_model()) else None
    hold = LegalHold.objects.create(dataset=dataset, subject=subject, reason=reason, until=until, set_by=user)
    record_event(
        actor=actor,
        action="legal_hold.set",
        target=hold,
        data={
            "dataset": dataset.slug if dataset else None,
            "subject": subject.external_id if subject else None,
            "until": until.isoformat() if until else None,
        },
    )
    return hold


@transaction.atomic
def release_legal_hold(*, actor, hold: LegalHold) -> LegalHold:
    """Release a legal hold in force; approvals from now on no longer skip what it covered."""
    hold = LegalHold.objects.select_for_update(of=("self",)).select_related("dataset", "subject").get(pk=hold.pk)
    if hold.released_at is not None:
        raise ErasureActionRefused(
            f"Legal hold #{hold.pk} was already released on {timezone.localtime(hold.released_at):%Y-%m-%d}."
        )
    hold.released_at = timezone.now()
    hold.released_by = actor if isinstance(actor, get_user_model()) else None
    hold.save()
    record_event(actor=actor, action="legal_hold.released", target=hold, data={"hold": hold.pk})
    return hold


# --- Reminders (erasure and access requests alike) ---------------------------------------------


def _reminder_mail(request, kind: str, now: datetime) -> tuple[str, str]:
    state = request.clock(now)
    due = timezone.localtime(request.due_at).strftime("%d %B %Y")
    title = f"{kind_of(request).title} {request.reference}"
    path = reverse(kind_of(request).detail_url, kwargs={"pk": request.pk})
    if kind == Reminder.Kind.OVERDUE:
        subject_line = f"{title} is overdue"
        opening = f"{title} was due on {due} and is not complete."
    else:
        subject_line = f"{title} is due on {due} ({state.label})"
        opening = f"{title} is due on {due}: {state.label}."
    body = (
        f"{opening}\n\nStatus: {request.get_status_display()}\nRegulation: {request.get_regulation_display()} "
        f"({request.clause})\n\nOpen it in Custos: {path}\n"
    )
    return subject_line, body


def _send_reminders_for(model: type, now: datetime) -> int:
    candidates = (
        model.objects.filter(
            status__in=model.OPEN_STATUSES,
            paused_at__isnull=True,
            assignee__isnull=False,
            due_at__lte=clocks.due_soon_limit(now),
        )
        .exclude(assignee__email="")
        .select_related("assignee")
        .select_for_update(of=("self",))
    )
    reminders = KINDS[model].reminder_model.objects
    sent = 0
    for request in candidates:
        kind = Reminder.Kind.OVERDUE if now > request.due_at else Reminder.Kind.DUE_SOON
        _, created = reminders.get_or_create(
            request=request, kind=kind, due_at=request.due_at, defaults={"recipient": request.assignee, "sent_at": now}
        )
        if not created:
            continue
        subject_line, body = _reminder_mail(request, kind, now)
        recipient = request.assignee.email
        transaction.on_commit(
            lambda subject_line=subject_line, body=body, recipient=recipient: send_mail(
                subject_line, body, None, [recipient]
            )
        )
        _event(
            REMINDER_ACTOR, f"{KINDS[model].audit}.reminder_sent", request, kind=kind, to=request.assignee.get_username()
        )
        sent += 1
    return sent


@transaction.atomic
def send_reminders(*, now: datetime | None = None) -> int:
    """Email each open erasure or access request's assignee once when due soon and once when overdue; return how many.

    A reminder is recorded per request, threshold and due date, so running
    again sends nothing new, and an extended or resumed deadline earns fresh
    reminders. Paused clocks and unassigned requests (or assignees without an
    email address) get none. Mail leaves after commit.
    """
    now = now or timezone.now()
    return sum(_send_reminders_for(model, now) for model in KINDS)
