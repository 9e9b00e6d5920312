"""The audit-report endpoints under /api/v1/, in the "api" namespace (included by compliance/api/urls.py)."""

from django.urls import path

from compliance.reports import api

urlpatterns = [
    path("reports/", api.ReportListView.as_view(), name="report_list"),
    path("reports/<int:pk>/", api.ReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/pdf/", api.ReportPdfView.as_view(), name="report_pdf"),
    path("reports/<int:pk>/signature/", api.ReportSignatureView.as_view(), name="report_signature"),
]
