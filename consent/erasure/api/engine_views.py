"""The execution engine's API: start discovery, download the certificate of erasure.

Scopes: discovery needs ``erasure:approve`` (it reads every store, like the
approval that follows it). The certificate is a document for the requester
and the auditor, so a key with ``erasure:write``, ``erasure:approve`` or
``reports:read`` may download it; signed-in users need the view permission
(DPO, compliance manager, auditor). Every download is audited.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated

from compliance.accounts.models import ApiKey
from compliance.api.exceptions import Conflict
from consent.erasure import certificate, discovery, selectors
from consent.erasure.api.serializers import ErasureRequestSerializer
from consent.erasure.engine_views import certificate_response
from consent.erasure.api.views import APPROVE, MISSING_ANY_SCOPE, WRITE, ErasureView, UserMayAct
from consent.erasure.services import ErasureActionRefused

CERTIFICATE_SCOPES = (WRITE, APPROVE, ApiKey.Scope.REPORTS_READ.value)


class HoldsACertificateScope(BasePermission):
    """Let an API key download certificates with erasure:write, erasure:approve or reports:read, naming them otherwise."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey) or any(key.has_scope(scope) for scope in CERTIFICATE_SCOPES):
            return True
        raise PermissionDenied(MISSING_ANY_SCOPE.format(scopes=" or ".join(CERTIFICATE_SCOPES)))


class ErasureRequestDiscoverView(ErasureView):
    """Starting discovery for a request."""

    required_scopes = {"POST": [APPROVE]}
    user_permissions = {"POST": "erasure.approve_erasurerequest"}

    @extend_schema(
        summary="Count the subject's records in every location that may hold them",
        description="Runs in the background; the counts (never the data) appear on the request page. API keys need "
        "erasure:approve. A request past approval answers 409.",
        request=None,
        responses={202: ErasureRequestSerializer},
    )
    def post(self, request, pk: int):
        erasure_request = self.fetch(request, pk)
        try:
            erasure_request = discovery.request_discovery(actor=request.user, request=erasure_request)
        except ErasureActionRefused as refusal:
            raise Conflict(refusal.message) from None
        response = self.answer(erasure_request)
        response.status_code = status.HTTP_202_ACCEPTED
        return response


class ErasureRequestCertificateView(ErasureView):
    """Downloading a completed request's certificate of erasure."""

    permission_classes = [IsAuthenticated, UserMayAct, HoldsACertificateScope]
    user_permissions = {"GET": selectors.VIEW_REQUEST, "HEAD": selectors.VIEW_REQUEST}

    @extend_schema(
        summary="Download the certificate of erasure (PDF)",
        description="The same file on every download; its sha256 is in the audit log (erasure.certificate_issued). "
        "API keys need erasure:write, erasure:approve or reports:read. A request not completed answers 409.",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf")},
    )
    def get(self, request, pk: int):
        erasure_request = self.fetch(request, pk)
        try:
            stored = certificate.certificate_for_download(actor=request.user, request=erasure_request)
        except ErasureActionRefused as refusal:
            raise Conflict(refusal.message) from None
        return certificate_response(stored, erasure_request)
