"""Discovery: how many records each applicable location holds for a request's subject (counts, never the data)."""

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import record_event
from consent.erasure.execution import ENGINE, subject_keys
from consent.erasure.models import DiscoveryResult, ErasureRequest, RequestStatus
from consent.erasure.selectors import applicable_locations
from consent.erasure.services import ErasureActionRefused
from datasets import connectors

DISCOVERABLE_STATUSES = (RequestStatus.RECEIVED, RequestStatus.VERIFIED, RequestStatus.APPROVED)


@transaction.atomic
def request_discovery(*, actor, request: ErasureRequest) -> ErasureRequest:
    """Ask every applicable location, in the background, how many records it holds for the request's subject."""
    from consent.erasure import engine_tasks

    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in DISCOVERABLE_STATUSES:
        raise ErasureActionRefused(
            f"Request {request.reference} is {request.status}; discovery runs before the erasure, "
            "while a request is received, verified or approved."
        )
    record_event(actor=actor, action="erasure.discovery_requested", target=request, data={"request": request.reference})
    engine_tasks.enqueue_discovery(request)
    return request


def run_discovery(*, request_id: int) -> int:
    """Count the subject's records in every applicable location and store one result per location; return how many.

    The stores are asked outside any transaction; the results are written
    together. A location that cannot answer gets its error instead of a count.
    """
    request = ErasureRequest.objects.select_related("subject").filter(pk=request_id).first()
    if request is None or request.status not in DISCOVERABLE_STATUSES:
        return 0
    keys = subject_keys(request)
    answers = []
    for location in applicable_locations(request):
        try:
            answers.append((location, connectors.discover(location, keys).records, ""))
        except (connectors.ConnectorError, connectors.NotApplicable) as error:
            answers.append((location, None, error.message))
    _store(request, answers)
    return len(answers)


@transaction.atomic
def _store(request: ErasureRequest, answers) -> None:
    now = timezone.now()
    for location, records, error in answers:
        DiscoveryResult.objects.update_or_create(
            request=request,
            location=location,
            defaults={"records_found": records, "error": error, "discovered_at": now},
        )
    record_event(
        actor=ENGINE,
        action="erasure.discovered",
        target=request,
        data={
            "request": request.reference,
            "locations": [
                {"location": str(location.pk), "records": records, "error": bool(error)}
                for location, records, error in answers
            ],
        },
    )
