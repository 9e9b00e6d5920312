"""Versions, lineage and membership checks of one dataset (namespace "versions")."""

from django.urls import path

from datasets.views import versions as views

app_name = "versions"

urlpatterns = [
    path("", views.version_list, name="list"),
    path("new/", views.version_create, name="create"),
    path("import-dvc/", views.version_import_dvc, name="import_dvc"),
    path("<str:label>/", views.version_detail, name="detail"),
    path("<str:label>/lineage.svg", views.lineage_svg, name="lineage_svg"),
    path("<str:label>/membership/check/", views.membership_check, name="membership_check"),
    path("<str:label>/membership/attach/", views.membership_attach, name="membership_attach"),
]
