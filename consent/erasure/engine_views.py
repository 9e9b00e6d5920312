"""The execution engine's pages: start discovery, retry failed steps, download the certificate of erasure.

The request page itself (``views.request_detail``) shows the steps; while a
request is approved or running it reloads itself every few seconds through a
``<meta http-equiv="refresh">`` tag, which the CSP allows (no script).
"""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from consent.erasure import certificate, discovery, execution, selectors
from consent.erasure.services import ErasureActionRefused
from consent.erasure.views import APPROVE_REQUEST, VIEW_REQUEST, NoFields, _required, _transition_view

request_discover = _transition_view(
    APPROVE_REQUEST, NoFields, discovery.request_discovery,
    "Discovery of request {ref} started: the counts appear below as the locations answer.",
    "Ask every location that may hold the subject how many records it has (counts only), in the background.",
)
request_retry = _transition_view(
    APPROVE_REQUEST, NoFields, execution.retry_failed_steps,
    "Request {ref}'s failed steps run again.",
    "Give a failed request's failed steps a fresh set of attempts; the request is running again.",
)


@require_GET
@_required(VIEW_REQUEST)
def request_certificate(request, pk: int):
    """Download the completed request's certificate of erasure (PDF); the download is audited."""
    erasure_request = selectors.request_for_user(user=request.user, pk=pk)
    try:
        stored = certificate.certificate_for_download(actor=request.user, request=erasure_request)
    except ErasureActionRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("erasure:request_detail", pk=erasure_request.pk)
    return certificate_response(stored, erasure_request)


def certificate_response(stored: certificate.StoredCertificate, erasure_request) -> FileResponse:
    """Return the stored certificate as a PDF attachment named after the request."""
    return FileResponse(
        stored.path.open("rb"),
        as_attachment=True,
        filename=f"certificate-of-erasure-{erasure_request.pk}.pdf",
        content_type="application/pdf",
    )
