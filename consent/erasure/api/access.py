"""The access request API under /api/v1/access-requests/: file a request, read where it stands, download the archive.

Scopes as for erasure: ``erasure:write`` files requests (``"verified": true``
from a key that also holds ``erasure:approve`` records the identity check and
starts the export); either scope reads them; downloading the archive needs
``erasure:approve`` (signed-in users: the DPO's ``download_accessrequest``),
and every download is audited. An expired archive answers 410, saying when.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from compliance.accounts.models import ApiKey
from compliance.api.exceptions import Conflict
from consent.erasure import access_engine, access_selectors, access_services
from consent.erasure.access_models import AccessRequest, AccessResultStatus, AccessStatus
from consent.erasure.access_views import DOWNLOAD_ACCESS, archive_response
from consent.erasure.api.serializers import ErasureRequestCreateSerializer
from consent.erasure.api.views import APPROVE, WRITE, ErasureView, HoldsAnErasureScope, UserMayAct, intake_from_body
from consent.erasure.services import ErasureActionRefused
from consent.jurisdictions import Regime
from datasets.models import LocationKind


class Gone(exceptions.APIException):
    """410: the archive expired and was deleted (the message says when)."""

    status_code = status.HTTP_410_GONE
    default_detail = "The archive expired and was deleted."
    default_code = "gone"


class AccessRequestCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AccessStatus.choices)
    due_at = serializers.DateTimeField()


class AccessResultSerializer(serializers.Serializer):
    """What one storage location answered: ``error`` is the last error, or why it was not searched (null when none)."""

    location = serializers.UUIDField(source="location_id", help_text="The storage location's id.")
    name = serializers.CharField(source="location.name")
    kind = serializers.ChoiceField(source="location.kind", choices=LocationKind.choices)
    status = serializers.ChoiceField(choices=AccessResultStatus.choices)
    attempts = serializers.IntegerField()
    records_exported = serializers.IntegerField(allow_null=True)
    fields = serializers.ListField(child=serializers.CharField())
    error = serializers.SerializerMethodField()

    def get_error(self, result) -> str | None:
        return result.error or None


class AccessRequestSerializer(serializers.Serializer):
    """An access request, its clock, each location's answer and until when its archive can be downloaded."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AccessStatus.choices)
    regulation = serializers.ChoiceField(choices=Regime.choices)
    clause = serializers.CharField()
    received_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    days_left = serializers.SerializerMethodField(help_text="Calendar days to the due day; null once answered.")
    overdue = serializers.SerializerMethodField()
    generated_at = serializers.DateTimeField(allow_null=True)
    download_until = serializers.SerializerMethodField(help_text="Null unless the archive is ready to download.")
    archive_sha256 = serializers.CharField(allow_blank=True)
    results = AccessResultSerializer(many=True, source="result_list")

    def get_days_left(self, request: AccessRequest) -> int | None:
        clock = request.clock()
        return None if clock.closed else clock.days_left

    def get_overdue(self, request: AccessRequest) -> bool:
        return request.clock().overdue

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_download_until(self, request: AccessRequest):
        until = request.download_until()
        return serializers.DateTimeField().to_representation(until) if until else None


class AccessView(ErasureView):
    def fetch(self, request, pk: int) -> AccessRequest:
        if isinstance(request.auth, ApiKey):
            return access_selectors.access_request_by_id(pk=pk)
        return access_selectors.access_request_for_user(user=request.user, pk=pk)

    def answer(self, access_request: AccessRequest) -> Response:
        access_request.result_list = access_selectors.results_for_request(request=access_request)
        return Response(AccessRequestSerializer(access_request).data)


class AccessRequestListView(AccessView):
    """Filing access requests."""

    required_scopes = {"POST": [WRITE]}
    user_permissions = {"POST": "erasure.add_accessrequest"}

    @extend_schema(
        summary="File an access request (GDPR Art. 15, CCPA right to know)",
        description='The same body as an erasure request: {"subject": external_id} or {"identifiers": {"email": …, '
        '"phone": …}}, "regulation", "clause", "requester_contact". API keys need erasure:write; "verified": true '
        "records the identity check and starts the export only for a key that also holds erasure:approve.",
        request=ErasureRequestCreateSerializer,
        responses={201: AccessRequestCreatedSerializer},
    )
    def post(self, request):
        created = access_services.receive_access_request(**intake_from_body(request))
        body = AccessRequestCreatedSerializer(created).data
        location = reverse("api:access_request_detail", kwargs={"pk": created.pk})
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class AccessRequestDetailView(AccessView):
    """Reading one access request."""

    permission_classes = [IsAuthenticated, UserMayAct, HoldsAnErasureScope]
    user_permissions = {"GET": access_selectors.VIEW_ACCESS, "HEAD": access_selectors.VIEW_ACCESS}

    @extend_schema(
        summary="Read an access request, its clock, each location's answer and the archive's availability",
        description="API keys need erasure:write or erasure:approve.",
        responses=AccessRequestSerializer,
    )
    def get(self, request, pk: int):
        return self.answer(self.fetch(request, pk))


class AccessRequestDownloadView(AccessView):
    """Downloading a ready request's archive."""

    required_scopes = {"GET": [APPROVE], "HEAD": [APPROVE]}
    user_permissions = {"GET": DOWNLOAD_ACCESS, "HEAD": DOWNLOAD_ACCESS}

    @extend_schema(
        summary="Download the access request's archive (ZIP)",
        description="summary.json, README.txt and one JSON file per location. API keys need erasure:approve. Every "
        "download is audited (access.downloaded, with the sha256). A request not ready answers 409; an expired "
        "archive 410.",
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="application/zip"),
            409: OpenApiResponse(description="The archive is not ready."),
            410: OpenApiResponse(description="The archive expired and was deleted."),
        },
    )
    def get(self, request, pk: int):
        access_request = self.fetch(request, pk)
        try:
            content = access_engine.archive_for_download(actor=request.user, request=access_request)
        except access_engine.ArchiveGone as gone:
            raise Gone(gone.message) from None
        except ErasureActionRefused as refusal:
            raise Conflict(refusal.message) from None
        return archive_response(content, access_request)
