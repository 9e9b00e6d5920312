"""The consent API's endpoints: each parses its input, looks up what it acts on, calls one service or selector, answers JSON.

See ``consent.api`` for who may do what. ``GET /api/v1/consents/check`` is the
hot path: one SQL query for the whole request (the API key comes from the
cache), so a product can ask before every use of a person's data.
"""

from contextlib import contextmanager

from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from compliance.accounts.models import ApiKey
from compliance.api.base import ApiView
from compliance.api.exceptions import Conflict, PayloadTooLarge
from consent import selectors, services
from consent.api.serializers import (
    CheckQuerySerializer,
    ConsentCheckSerializer,
    ConsentEventSerializer,
    ConsentSerializer,
    ImportAcceptedSerializer,
    ImportSerializer,
    ImportUploadSerializer,
    MaskedSubjectSerializer,
    NoticeSerializer,
    PurposeSerializer,
    SubjectSerializer,
)
from consent.imports import selectors as import_selectors
from consent.imports import services as import_services

READ = ["consent:read"]
WRITE = ["consent:write"]
SESSION_REFUSED = "Your role cannot {action}: it needs the permission {permission}."


class ConsentPagination(LimitOffsetPagination):
    """``?limit=&offset=``: 100 rows by default, at most 1,000."""

    default_limit = 100
    max_limit = 1000


class HoldsRolePermission(BasePermission):
    """Let a signed-in user through only with the model permission the view names for the method.

    API keys hold no model permissions: their scopes were checked already (``required_scopes``).
    """

    def has_permission(self, request, view) -> bool:
        if isinstance(request.user, ApiKey):
            return True
        method = "GET" if request.method in {"HEAD", "OPTIONS"} else request.method
        needed = view.session_permissions.get(method)
        if needed is None or request.user.has_perm(needed[0]):
            return True
        raise PermissionDenied(SESSION_REFUSED.format(action=needed[1], permission=needed[0]))


@contextmanager
def refusals_as_conflicts():
    """Turn the services' refusals of the records' current state into 409 answers carrying their message."""
    try:
        yield
    except services.ConsentActionRefused as refusal:
        raise Conflict(refusal.message) from None


def is_key(caller) -> bool:
    return isinstance(caller, ApiKey)


def purposes_for(caller):
    """Every purpose for a key (its scope was checked), the purposes a user may see otherwise."""
    return selectors.all_purposes() if is_key(caller) else selectors.visible_purposes(caller).order_by("name", "code")


def purpose_for(caller, code: str):
    return selectors.purpose_by_code(code=code) if is_key(caller) else selectors.purpose_for_user(user=caller, code=code)


def subject_for(caller, external_id: str):
    if is_key(caller):
        return selectors.subject_by_external_id(external_id=external_id)
    return selectors.subject_for_user(user=caller, external_id=external_id)


class ConsentView(ApiView, generics.GenericAPIView):
    """What the consent endpoints share: scopes for keys, role permissions for people, pagination, validation."""

    required_scopes = {"GET": READ, "POST": WRITE}
    # method → (permission, what it lets a person do), for signed-in users.
    session_permissions: dict[str, tuple[str, str]] = {}
    permission_classes = [IsAuthenticated, HoldsRolePermission]
    pagination_class = ConsentPagination
    parser_classes = [JSONParser]

    def validated(self, serializer_class, data):
        """Return the validated data of ``data`` (400 with field errors otherwise)."""
        serializer = serializer_class(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(self, rows) -> Response:
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def answer(self, instance, *, code: int = status.HTTP_200_OK) -> Response:
        """Answer ``instance`` serialized by the view's serializer, with status ``code``."""
        return Response(self.get_serializer(instance).data, status=code)


def _scopes(read: str, write: str = "") -> str:
    """Say who may call: the scopes keys need, the permissions people need."""
    if write:
        return f"API keys need consent:read to read and consent:write to write; people need {read} to read and {write} to write."
    return f"API keys need consent:read; people need {read}."


# --- Purposes and notices -------------------------------------------------------------------


class PurposeListView(ConsentView):
    """The purposes of processing; creating one."""

    serializer_class = PurposeSerializer
    session_permissions = {
        "GET": ("consent.view_purpose", "read purposes"),
        "POST": ("consent.add_purpose", "create purposes"),
    }

    @extend_schema(summary="List the purposes", description=_scopes("consent.view_purpose"), responses=PurposeSerializer(many=True))
    def get(self, request):
        return self.paginated(purposes_for(request.user))

    @extend_schema(
        summary="Create a purpose",
        description=_scopes("consent.view_purpose", "consent.add_purpose"),
        request=PurposeSerializer,
        responses={201: PurposeSerializer},
    )
    def post(self, request):
        values = self.validated(PurposeSerializer, request.data)
        purpose = services.create_purpose(actor=request.user, **values)
        return self.answer(purpose, code=status.HTTP_201_CREATED)


class NoticeListView(ConsentView):
    """A purpose's privacy notices, newest first; publishing a version."""

    serializer_class = NoticeSerializer
    session_permissions = {
        "GET": ("consent.view_privacynotice", "read privacy notices"),
        "POST": ("consent.add_privacynotice", "publish privacy notices"),
    }

    @extend_schema(summary="List a purpose's notices", description=_scopes("consent.view_privacynotice"), responses=NoticeSerializer(many=True))
    def get(self, request, code: str):
        purpose = purpose_for(request.user, code)
        return self.paginated(selectors.notices_for_purpose(purpose=purpose))

    @extend_schema(
        summary="Publish a version of a purpose's notice",
        description=_scopes("consent.view_privacynotice", "consent.add_privacynotice")
        + " Give text, url or both; the answer carries the sha256 that pins it.",
        request=NoticeSerializer,
        responses={201: NoticeSerializer},
    )
    def post(self, request, code: str):
        purpose = purpose_for(request.user, code)
        values = self.validated(NoticeSerializer, request.data)
        notice = services.publish_notice(actor=request.user, purpose=purpose, **values)
        return self.answer(notice, code=status.HTTP_201_CREATED)


# --- Subjects ----------------------------------------------------------------------------------


class SubjectUpsertView(ConsentView):
    """Creating or updating a subject by external id."""

    required_scopes = {"POST": WRITE}
    serializer_class = MaskedSubjectSerializer
    session_permissions = {"POST": ("consent.change_datasubject", "create or change data subjects")}

    @extend_schema(
        summary="Create or update a subject by external id",
        description="API keys need consent:write; people need consent.change_datasubject. 201 when created, 200 otherwise;"
        " identifiers are stored encrypted and answered masked.",
        request=SubjectSerializer,
        responses={200: MaskedSubjectSerializer, 201: MaskedSubjectSerializer},
    )
    def post(self, request):
        values = self.validated(SubjectSerializer, request.data)
        upserted = services.upsert_subject(actor=request.user, **values)
        return self.answer(upserted.subject, code=status.HTTP_201_CREATED if upserted.created else status.HTTP_200_OK)


class SubjectDetailView(ConsentView):
    """One subject, identifiers masked."""

    required_scopes = {"GET": READ}
    serializer_class = MaskedSubjectSerializer
    session_permissions = {"GET": ("consent.view_datasubject", "read data subjects")}

    @extend_schema(summary="Show a subject (identifiers masked)", description=_scopes("consent.view_datasubject"), responses=MaskedSubjectSerializer)
    def get(self, request, external_id: str):
        return self.answer(subject_for(request.user, external_id))


class SubjectConsentsView(ConsentView):
    """A subject's consent history across purposes, oldest first."""

    required_scopes = {"GET": READ}
    serializer_class = ConsentEventSerializer
    session_permissions = {"GET": ("consent.view_consentevent", "read consent records")}

    @extend_schema(summary="List a subject's consent events", description=_scopes("consent.view_consentevent"), responses=ConsentEventSerializer(many=True))
    def get(self, request, external_id: str):
        subject = subject_for(request.user, external_id)
        events = selectors.events_for_subject(subject=subject)
        for event in events:
            event.subject = subject  # already at hand: no query per event
        return self.paginated(events)


class SubjectReceiptView(ConsentView):
    """A subject's ISO/IEC TS 27560 consent receipt (an audited export)."""

    required_scopes = {"GET": READ}
    session_permissions = {"GET": ("consent.view_consentevent", "read consent records")}

    @extend_schema(
        summary="Export a subject's ISO/IEC TS 27560 consent receipt",
        description=_scopes("consent.view_consentevent") + " Every export is an audit event.",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, external_id: str):
        subject = subject_for(request.user, external_id)
        return Response(services.export_subject_receipt(actor=request.user, subject=subject))


# --- Consents ------------------------------------------------------------------------------------


class ConsentRecordView(ConsentView):
    """Recording a grant, withdrawal or refusal."""

    required_scopes = {"POST": WRITE}
    serializer_class = ConsentEventSerializer
    session_permissions = {"POST": ("consent.add_consentevent", "record consents")}

    @extend_schema(
        summary="Record a consent: granted, withdrawn or refused",
        description="API keys need consent:write; people need consent.add_consentevent. An unknown subject is created."
        " With event_id, sending the same event again answers 200 with the event recorded the first time (201 the"
        " first time); the same id for another consent is refused.",
        request=ConsentSerializer,
        responses={201: ConsentEventSerializer, 200: ConsentEventSerializer},
    )
    def post(self, request):
        values = dict(self.validated(ConsentSerializer, request.data))
        with refusals_as_conflicts():
            event = services.record_consent_for_external_id(
                actor=request.user,
                subject_external_id=values.pop("subject"),
                purpose_code=values.pop("purpose"),
                **values,
            )
        return self.answer(event, code=status.HTTP_200_OK if event.replayed else status.HTTP_201_CREATED)


class ConsentCheckView(ConsentView):
    """May this person's data be processed for this purpose now?"""

    required_scopes = {"GET": READ}
    session_permissions = {"GET": ("consent.view_consentstate", "check consents")}

    @extend_schema(
        summary="Check a subject's consent to a purpose",
        description=_scopes("consent.view_consentstate")
        + " One SQL query. An unknown subject or purpose answers allowed false with status none, not an error.",
        parameters=[CheckQuerySerializer],
        responses=ConsentCheckSerializer,
    )
    def get(self, request):
        query = self.validated(CheckQuerySerializer, request.query_params)
        check = selectors.check_consent(subject_external_id=query["subject"], purpose_code=query["purpose"])
        return Response(ConsentCheckSerializer(check).data)


# --- Imports -------------------------------------------------------------------------------------


def _with_progress(job, request):
    job.errors = import_selectors.first_errors(job=job)
    job.error_report_url = (
        request.build_absolute_uri(reverse("api:consent_import_errors", kwargs={"pk": job.pk})) if job.rows_failed else None
    )
    return job


class ImportListView(ConsentView):
    """Uploading a file of consents to import; the caller's imports, newest first."""

    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    session_permissions = {
        "GET": ("consent.view_consentevent", "read consent imports"),
        "POST": ("consent.add_consentevent", "import consents"),
    }

    @extend_schema(
        summary="List imports",
        description="API keys (consent:read) see the imports they started; people with consent.view_consentevent see all."
        " Each without its rows' errors: see the import itself.",
        responses=ImportSerializer(many=True),
    )
    def get(self, request):
        page = self.paginate_queryset(import_selectors.imports_for_caller(caller=request.user))
        for job in page:
            job.errors, job.error_report_url = [], None
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Import consents from a CSV or JSON Lines file",
        description="API keys need consent:write; people need consent.add_consentevent. The file is recorded in batches by"
        " a worker: follow status_url. Rows with an event id are recorded once however often the file is sent."
        " At most CONSENT_IMPORT_MAX_BYTES bytes (1 GiB unless configured); past it the answer is 413.",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportAcceptedSerializer, 413: OpenApiResponse(description="The file is too large.")},
    )
    def post(self, request):
        refusal = import_services.body_too_large(int(request.META.get("CONTENT_LENGTH") or 0))
        if refusal:
            # Refused before the body is read: nothing of it reaches the disk.
            raise PayloadTooLarge(refusal)
        values = self.validated(ImportUploadSerializer, request.data)
        job = import_services.create_import(actor=request.user, upload=values["file"], file_format=values.get("format", ""))
        status_url = request.build_absolute_uri(reverse("api:consent_import_detail", kwargs={"pk": job.pk}))
        return Response({"id": str(job.pk), "status_url": status_url}, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url})


class ImportDetailView(ConsentView):
    """An import's progress and its first skipped rows."""

    required_scopes = {"GET": READ}
    serializer_class = ImportSerializer
    session_permissions = {"GET": ("consent.view_consentevent", "read consent imports")}

    @extend_schema(summary="Follow an import", description="status, counts, and per skipped row its line and reason.", responses=ImportSerializer)
    def get(self, request, pk):
        job = import_selectors.import_for_caller(caller=request.user, pk=pk)
        return self.answer(_with_progress(job, request))


class ImportErrorsView(ConsentView):
    """Every skipped row of an import, as CSV (an audited download)."""

    required_scopes = {"GET": READ}
    session_permissions = {"GET": ("consent.view_consentevent", "read consent imports")}

    @extend_schema(
        summary="Download an import's error report (CSV: line, reason)",
        description="Every export is an audit event.",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request, pk):
        job = import_selectors.import_for_caller(caller=request.user, pk=pk)
        response = StreamingHttpResponse(import_services.export_import_errors(actor=request.user, job=job), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="consent-import-{job.pk}-errors.csv"'
        return response
