"""Versions, lineage and membership checks of one dataset (namespace "versions")."""

app_name = "versions"

urlpatterns: list = []
