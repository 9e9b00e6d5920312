"""The staff-training endpoints under /api/v1/, in the "api" namespace (included by compliance/api/urls.py)."""

from django.urls import path

from compliance.staff_training.api import views

urlpatterns = [
    path("training/statements/", views.StatementView.as_view(), name="training_statements"),
]
