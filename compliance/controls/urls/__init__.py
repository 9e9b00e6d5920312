"""The controls app's pages: catalogs and assessments (frameworks.py, assessments.py), evidence and checks (evidence.py, checks.py)."""

from django.urls import include, path

app_name = "controls"

urlpatterns: list = []
