"""Reports pages: /dashboard/ and everything under /reports/."""

from django.urls import include, path

app_name = "reports"

urlpatterns: list = [
    path("reports/exports/", include("compliance.reports.exports.urls")),  # helper "exports"
]
