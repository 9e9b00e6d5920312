"""The dashboard's and the workspace's URLs (included by compliance/reports/urls.py)."""

from django.urls import path

from compliance.reports import dashboard_views

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("reports/workspace/", dashboard_views.workspace, name="workspace"),
]
