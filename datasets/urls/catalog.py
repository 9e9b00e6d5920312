"""Datasets, their storage locations, access, import and export (namespace "datasets")."""

app_name = "datasets"

urlpatterns: list = []
