"""Reports pages: /dashboard/ and everything under /reports/."""

from django.urls import include, path

from compliance.reports import urls_dashboard, urls_reports

app_name = "reports"

urlpatterns: list = [
    path("reports/exports/", include("compliance.reports.exports.urls")),  # helper "exports"
    path("reports/record-of-processing/", include("compliance.reports.processing.urls")),  # helper "exports"
]
urlpatterns += urls_reports.urlpatterns  # helper "pdfreport": /reports/ list, request, detail, downloads, integrity
urlpatterns += urls_dashboard.urlpatterns  # helper "dashboard": /dashboard/ and /reports/workspace/
