"""What completing an erasure does in Custos itself: consents withdrawn, identifiers reduced, training runs flagged.

Called by ``execution.complete_request_if_finished`` inside its locked
transaction, so a request completes with all of it or none of it.
"""

from django.db.models import Q

from compliance.audit.services import record_event
from consent.erasure.models import ErasureRequest, RequestSource
from consent.models import CollectionMethod, ConsentState, ConsentStatus, DataSubject
from consent.services import withdraw_consent
from datasets.models import ErasureStatus
from datasets.selectors import runs_using_versions, versions_matching_subject
from datasets.services import flag_training_run


def withdrawal_reason(request: ErasureRequest) -> str:
    """Return the reason every consent withdrawn by the request records: ``erasure request #12``."""
    return f"erasure request {request.reference}"


def _withdraw_consents(request: ErasureRequest, actor) -> int:
    subject = request.subject
    if subject is None:
        return 0
    method = CollectionMethod.API if request.source == RequestSource.API else CollectionMethod.WEB_FORM
    states = ConsentState.objects.filter(subject=subject, status=ConsentStatus.GRANTED).select_related("purpose")
    withdrawn = 0
    for state in states.order_by("purpose__code"):
        withdraw_consent(
            actor=actor, subject=subject, purpose=state.purpose, reason=withdrawal_reason(request), collection_method=method
        )
        withdrawn += 1
    return withdrawn


def _flag_runs(request: ErasureRequest, actor, identifiers: dict[str, str]) -> dict[str, list[int]]:
    membership = versions_matching_subject(identifiers=identifiers)
    affected = list(runs_using_versions(versions=membership.containing)) if membership.containing else []
    affected_ids = {run.pk for run in affected}
    possibly = (
        [run for run in runs_using_versions(versions=membership.unknown) if run.pk not in affected_ids]
        if membership.unknown
        else []
    )
    for run in affected:
        flag_training_run(actor=actor, run=run, status=ErasureStatus.AFFECTED, erasure_reference=f"erasure request {request.reference}")
    for run in possibly:
        flag_training_run(
            actor=actor, run=run, status=ErasureStatus.POSSIBLY_AFFECTED, erasure_reference=f"erasure request {request.reference}"
        )
    return {"runs_affected": sorted(affected_ids), "runs_possibly_affected": sorted(run.pk for run in possibly)}


def _reduce_identifiers(request: ErasureRequest, actor) -> list[str]:
    # A queryset update writes the columns named and nothing else: the blind
    # indexes (which a save would recompute from the emptied fields) stay, so a
    # returning request by the same email or phone is still recognised, while
    # the identifiers themselves are gone. The external id is the pseudonymous
    # reference the audit trail uses, and the requester contact is kept to send
    # the certificate.
    reduced = []
    if request.subject_id:
        DataSubject.objects.filter(pk=request.subject_id).update(email=None, phone=None, name=None)
        reduced.append("subject")
    ErasureRequest.objects.filter(pk=request.pk).update(email=None, phone=None)
    request.email = request.phone = None
    reduced.append("request")
    record_event(
        actor=actor,
        action="erasure.identifiers_reduced",
        target=request,
        data={"request": request.reference, "reduced": reduced, "kept": ["blind indexes", "external id"]},
    )
    return reduced


def _person(request: ErasureRequest) -> Q:
    """Return the condition matching the requests of the same person: the subject, or any blind index known for them."""
    person = Q(subject_id=request.subject_id) if request.subject_id else Q(pk__in=[])
    subject = request.subject
    for field in ("email_index", "phone_index"):
        for value in {getattr(request, field), getattr(subject, field, None) if subject else None} - {None, ""}:
            person |= Q(**{field: value})
    return person


def _erase_access_copies(request: ErasureRequest) -> dict[str, int]:
    from consent.erasure.access_engine import erase_access_copies

    return erase_access_copies(person=_person(request), erasure_reference=f"erasure request {request.reference}")


def complete(*, request: ErasureRequest, actor) -> dict:
    """Withdraw the subject's consents, flag the training runs that used their data, reduce their identifiers.

    The person's access-request archives are deleted and those requests'
    identifiers reduced too: they are copies Custos holds.

    Returns what was done, for the completion's audit event (ids and counts only).
    """
    from consent.erasure.execution import subject_keys

    keys = subject_keys(request)
    identifiers = {"external_id": keys.external_id, "email": keys.email, "phone": keys.phone}
    withdrawn = _withdraw_consents(request, actor)
    runs = _flag_runs(request, actor, identifiers)
    # Before the identifiers are reduced: the blind indexes are read from the request and subject as they are now.
    access = _erase_access_copies(request)
    _reduce_identifiers(request, actor)
    return {"consents_withdrawn": withdrawn, **runs, **access}
