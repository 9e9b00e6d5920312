"""Datasets, their storage locations, access, import and export (namespace "datasets")."""

from django.urls import path

from datasets.views import catalog, locations, transfer

app_name = "datasets"

# The fixed paths come before "<slug:slug>/", which would otherwise take "new" and "import" for slugs.
urlpatterns = [
    path("", catalog.dataset_list, name="list"),
    path("new/", catalog.dataset_create, name="create"),
    path("import/", transfer.dataset_import, name="import"),
    path("export.csv", transfer.dataset_export, name="export"),
    path("<slug:slug>/", catalog.dataset_detail, name="detail"),
    path("<slug:slug>/edit/", catalog.dataset_edit, name="edit"),
    path("<slug:slug>/archive/", catalog.dataset_archive, name="archive"),
    path("<slug:slug>/restore/", catalog.dataset_restore, name="restore"),
    path("<slug:slug>/access/grant/", catalog.access_grant, name="access_grant"),
    path("<slug:slug>/access/revoke/", catalog.access_revoke, name="access_revoke"),
    path("<slug:slug>/history/", catalog.dataset_history, name="history"),
    path("<slug:slug>/locations/", locations.location_list, name="locations"),
    path("<slug:slug>/locations/new/", locations.location_create, name="location_create"),
    path("<slug:slug>/locations/<uuid:pk>/edit/", locations.location_edit, name="location_edit"),
    path("<slug:slug>/locations/<uuid:pk>/delete/", locations.location_delete, name="location_delete"),
    path("<slug:slug>/locations/<uuid:pk>/test/", locations.location_test, name="location_test"),
]
