"""The erasure API: file a request, read it with its steps, approve it.

API keys act by scope: ``erasure:write`` files requests, ``erasure:approve``
approves them (and lets ``"verified": true`` stand as the identity check);
either reads them. Signed-in users act by their roles' model permissions, as
on the pages. A change the request's state does not allow answers 409 with
the service's message.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from compliance.accounts.models import ApiKey
from compliance.api.base import ApiView
from compliance.api.exceptions import Conflict
from consent import selectors as consent_selectors
from consent.erasure import selectors, services
from consent.erasure.api.serializers import (
    ErasureRequestCreatedSerializer,
    ErasureRequestCreateSerializer,
    ErasureRequestSerializer,
)
from consent.erasure.models import ErasureRequest

WRITE = "erasure:write"
APPROVE = "erasure:approve"
READ_SCOPES = (WRITE, APPROVE)
MISSING_ANY_SCOPE = "This API key lacks the scope {scopes}."
NO_SUBJECT = "No subject has external id {external_id!r}; give identifiers instead for a person Custos does not know."


class UserMayAct(BasePermission):
    """Hold a signed-in user to the model permission the view names for the method (keys go by scope)."""

    message = "Your role does not allow this on erasure requests."

    def has_permission(self, request, view) -> bool:
        permission = view.user_permissions.get(request.method)
        # Keys go by scope; a method the view does not handle answers 405 next.
        if isinstance(request.auth, ApiKey) or permission is None:
            return True
        return request.user.has_perm(permission)


class HoldsAnErasureScope(BasePermission):
    """Let an API key read requests if it holds erasure:write or erasure:approve, naming both when it holds neither."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey) or any(key.has_scope(scope) for scope in READ_SCOPES):
            return True
        raise PermissionDenied(MISSING_ANY_SCOPE.format(scopes=" or ".join(READ_SCOPES)))


class ErasureView(ApiView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, UserMayAct]
    user_permissions: dict[str, str] = {}

    def fetch(self, request, pk: int) -> ErasureRequest:
        if isinstance(request.auth, ApiKey):
            return selectors.request_by_id(pk=pk)
        return selectors.request_for_user(user=request.user, pk=pk)

    def answer(self, erasure_request: ErasureRequest) -> Response:
        erasure_request.step_list = selectors.steps_for_request(request=erasure_request)
        erasure_request.models_affected_list = selectors.models_affected(request=erasure_request)
        return Response(ErasureRequestSerializer(erasure_request).data)


def _subject(external_id: str):
    try:
        return consent_selectors.subject_by_external_id(external_id=external_id)
    except Http404:
        raise ValidationError({"subject": NO_SUBJECT.format(external_id=external_id)}) from None


def intake_from_body(request) -> dict:
    """Return an intake service's arguments from a filing body (erasure and access requests take the same one).

    ``"verified": true`` counts only from a key that also holds erasure:approve.
    """
    serializer = ErasureRequestCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    values = serializer.validated_data
    key = request.auth if isinstance(request.auth, ApiKey) else None
    return {
        "actor": request.user,
        "subject": _subject(values["subject"]) if "subject" in values else None,
        "identifiers": values.get("identifiers"),
        "regulation": values.get("regulation"),
        "clause": values.get("clause", ""),
        "source": ErasureRequest.Source.API,
        "requester_contact": values.get("requester_contact", ""),
        "verified_by_trusted_key": bool(values["verified"] and key is not None and key.has_scope(APPROVE)),
    }


class ErasureRequestListView(ErasureView):
    """Filing erasure requests."""

    required_scopes = {"POST": [WRITE]}
    user_permissions = {"POST": "erasure.add_erasurerequest"}

    @extend_schema(
        summary="File an erasure request",
        description='Name a known subject ({"subject": external_id}) or give an unknown person\'s identifiers '
        '({"identifiers": {"email": …, "phone": …}}). API keys need erasure:write; "verified": true records the '
        "identity check only for a key that also holds erasure:approve (otherwise the request stays received).",
        request=ErasureRequestCreateSerializer,
        responses={201: ErasureRequestCreatedSerializer},
    )
    def post(self, request):
        created = services.receive_erasure_request(**intake_from_body(request))
        body = ErasureRequestCreatedSerializer(created).data
        location = reverse("api:erasure_request_detail", kwargs={"pk": created.pk})
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class ErasureRequestDetailView(ErasureView):
    """Reading one request."""

    permission_classes = [IsAuthenticated, UserMayAct, HoldsAnErasureScope]
    user_permissions = {"GET": selectors.VIEW_REQUEST, "HEAD": selectors.VIEW_REQUEST}

    @extend_schema(
        summary="Read an erasure request, its clock and its steps",
        description="API keys need erasure:write or erasure:approve.",
        responses=ErasureRequestSerializer,
    )
    def get(self, request, pk: int):
        return self.answer(self.fetch(request, pk))


class ErasureRequestApproveView(ErasureView):
    """Approving a verified request."""

    required_scopes = {"POST": [APPROVE]}
    user_permissions = {"POST": "erasure.approve_erasurerequest"}

    @extend_schema(
        summary="Approve a verified erasure request",
        description="Creates one step per storage location that may hold the subject; locations under a legal hold "
        "are skipped. API keys need erasure:approve. A request that is not verified answers 409.",
        request=None,
        responses=ErasureRequestSerializer,
    )
    def post(self, request, pk: int):
        erasure_request = self.fetch(request, pk)
        try:
            approved = services.approve_erasure_request(actor=request.user, request=erasure_request)
        except services.ErasureActionRefused as refusal:
            raise Conflict(refusal.message) from None
        return self.answer(approved)
