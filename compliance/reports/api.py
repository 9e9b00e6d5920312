"""The audit-report API under /api/v1/reports/: request a report, follow it, download the PDF and its signature.

Scopes: ``reports:write`` requests reports (202 with the id to poll); reading a
report's status takes ``reports:read`` or ``reports:write`` (a program follows
what it asked for); downloading the PDF or its signature takes ``reports:read``.
A report requested by a key reads with the permissions of the person who created
the key. Signed-in users act with their roles (managers and auditors). Every
download is audited.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from compliance.accounts.models import ApiKey
from compliance.api.base import ApiView
from compliance.api.exceptions import Conflict
from compliance.reports import selectors, services
from compliance.reports.models import AuditReport
from compliance.reports.sections import SECTION_NAMES

READ = ApiKey.Scope.REPORTS_READ.value
WRITE = ApiKey.Scope.REPORTS_WRITE.value
MISSING_ANY_SCOPE = "This API key lacks the scope {scopes}."


class UserMayAct(BasePermission):
    """Hold a signed-in user to the model permission the view names for the method (keys go by scope)."""

    message = "Your role does not allow this on audit reports."

    def has_permission(self, request, view) -> bool:
        permission = view.user_permissions.get(request.method)
        if isinstance(request.auth, ApiKey) or permission is None:
            return True
        return request.user.has_perm(permission)


class HoldsAReportScope(BasePermission):
    """Let an API key read a report's status with reports:read or reports:write, naming both when it holds neither."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey) or key.has_scope(READ) or key.has_scope(WRITE):
            return True
        raise PermissionDenied(MISSING_ANY_SCOPE.format(scopes=f"{READ} or {WRITE}"))


class ReportRequestSerializer(serializers.Serializer):
    period_start = serializers.DateField(help_text="First day of the period (YYYY-MM-DD).")
    period_end = serializers.DateField(help_text="Last day of the period, inclusive.")
    frameworks = serializers.ListField(child=serializers.CharField(), help_text="Framework codes, e.g. gdpr, hipaa, ccpa.")
    sections = serializers.ListField(
        child=serializers.CharField(), help_text="Section names: " + ", ".join(SECTION_NAMES) + "."
    )


class ReportCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AuditReport.Status.choices)


class ReportSerializer(serializers.Serializer):
    """Where a report stands; pages, size and sha256 are null until it is done."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AuditReport.Status.choices)
    progress = serializers.IntegerField(help_text="Percent, 0 to 100.")
    pages = serializers.IntegerField(allow_null=True)
    size = serializers.IntegerField(allow_null=True, help_text="Bytes.")
    sha256 = serializers.CharField(allow_null=True)


def _status_body(report: AuditReport) -> dict:
    return {
        "id": report.pk,
        "status": report.status,
        "progress": report.progress,
        "pages": report.pages,
        "size": report.size,
        "sha256": report.sha256 or None,
    }


class ReportView(ApiView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, UserMayAct]
    user_permissions: dict[str, str] = {}

    def fetch(self, request, pk: int) -> AuditReport:
        if isinstance(request.auth, ApiKey):
            return selectors.report_by_id(pk=pk)
        return selectors.report_for_user(user=request.user, pk=pk)


class ReportListView(ReportView):
    """Requesting a report."""

    required_scopes = {"POST": [WRITE]}
    user_permissions = {"POST": selectors.REQUEST_PERMISSION}

    @extend_schema(
        summary="Request an audit report",
        description="Queues a signed PDF audit report of the period (inclusive) with the frameworks and sections named; "
        "poll GET /api/v1/reports/{id}/ for its progress. API keys need reports:write; the report reads with the "
        "permissions of the key's creator. Unknown framework codes or section names, or a period that ends before it "
        "starts, answer 400 naming them.",
        request=ReportRequestSerializer,
        responses={202: ReportCreatedSerializer},
    )
    def post(self, request):
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.request_report(actor=request.user, **serializer.validated_data)
        return Response({"id": report.pk, "status": report.status}, status=status.HTTP_202_ACCEPTED)


class ReportDetailView(ReportView):
    """Where one report stands."""

    permission_classes = [IsAuthenticated, UserMayAct, HoldsAReportScope]
    user_permissions = {"GET": selectors.VIEW_PERMISSION, "HEAD": selectors.VIEW_PERMISSION}

    @extend_schema(
        summary="Read an audit report's status and progress",
        description="API keys need reports:read or reports:write. pages, size and sha256 are null until status is done.",
        responses={200: ReportSerializer},
    )
    def get(self, request, pk: int):
        return Response(_status_body(self.fetch(request, pk)))


class ReportDownloadView(ReportView):
    required_scopes = {"GET": [READ], "HEAD": [READ]}
    user_permissions = {"GET": selectors.DOWNLOAD_PERMISSION, "HEAD": selectors.DOWNLOAD_PERMISSION}
    what = "pdf"

    def get(self, request, pk: int):
        report = self.fetch(request, pk)
        try:
            if self.what == "pdf":
                body, content_type, filename = services.pdf_for_download(actor=request.user, report=report), "application/pdf", report.filename
            else:
                body = services.signature_for_download(actor=request.user, report=report)
                content_type, filename = "application/json", f"{report.filename}.sig"
        except services.ReportRefused as refusal:
            raise Conflict(refusal.message) from None
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        response["Content-Length"] = str(len(body))
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response


class ReportPdfView(ReportDownloadView):
    """Downloading a done report's PDF."""

    what = "pdf"

    @extend_schema(
        summary="Download an audit report (PDF)",
        description="The same bytes on every download; their sha256 is in the audit log (report.generated). API keys "
        "need reports:read. Every download is audited. A report not done answers 409.",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf"), 409: OpenApiResponse(description="Not done.")},
    )
    def get(self, request, pk: int):
        return super().get(request, pk)


class ReportSignatureView(ReportDownloadView):
    """Downloading a done report's detached signature."""

    what = "signature"

    @extend_schema(
        summary="Download an audit report's detached Ed25519 signature (.sig)",
        description="A small JSON file (format custos-report-signature/1: report id, sha256, key id, signature over the "
        "PDF's bytes). Verify offline with manage.py verify_report. API keys need reports:read. Every download is "
        "audited. A report not done answers 409.",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="application/json"), 409: OpenApiResponse(description="Not done.")},
    )
    def get(self, request, pk: int):
        return super().get(request, pk)
