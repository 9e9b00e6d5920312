"""The record of processing under /reports/record-of-processing/ (name "reports:record_of_processing")."""

from django.urls import path

from compliance.reports.processing import views

urlpatterns = [
    path("", views.record_of_processing, name="record_of_processing"),
]
