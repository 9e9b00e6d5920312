"""Reports pages: /dashboard/ and everything under /reports/."""

from django.urls import include, path

from compliance.reports import urls_reports

app_name = "reports"

urlpatterns: list = [
    path("reports/exports/", include("compliance.reports.exports.urls")),  # helper "exports"
]
urlpatterns += urls_reports.urlpatterns  # helper "pdfreport": /reports/ list, request, detail, downloads, integrity
