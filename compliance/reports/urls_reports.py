"""The audit-report pages under /reports/ (spliced into compliance/reports/urls.py)."""

from django.urls import path

from compliance.reports import report_views

urlpatterns = [
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/new/", report_views.report_request, name="report_request"),
    path("reports/integrity/", report_views.integrity, name="integrity"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/pdf/", report_views.report_pdf, name="report_pdf"),
    path("reports/<int:pk>/signature/", report_views.report_signature, name="report_signature"),
]
