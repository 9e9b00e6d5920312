"""Exports under /reports/exports/ (names in the "reports" namespace: export_list, export)."""

from django.urls import path

from compliance.reports.exports import views

urlpatterns = [
    path("", views.export_list, name="export_list"),
    path("<slug:register>.<slug:format>", views.export, name="export"),
]
