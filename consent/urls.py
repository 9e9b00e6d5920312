from django.urls import path

from consent.views import imports, purposes, subjects

app_name = "consent"

urlpatterns = [
    path("subjects/", subjects.subject_search, name="subject_search"),
    path("subjects/<str:external_id>/", subjects.subject_detail, name="subject_detail"),
    path("subjects/<str:external_id>/reveal/", subjects.subject_reveal, name="subject_reveal"),
    path("subjects/<str:external_id>/receipt.json", subjects.subject_receipt, name="subject_receipt"),
    path("subjects/<str:external_id>/record/", subjects.record, name="record"),
    path("subjects/<str:external_id>/withdraw/<str:purpose_code>/", subjects.withdraw, name="withdraw"),
    path("events/<uuid:pk>/receipt.json", subjects.event_receipt, name="event_receipt"),
    path("purposes/", purposes.purpose_list, name="purpose_list"),
    path("purposes/new/", purposes.purpose_create, name="purpose_create"),
    path("purposes/<str:code>/", purposes.purpose_detail, name="purpose_detail"),
    path("purposes/<str:code>/edit/", purposes.purpose_edit, name="purpose_edit"),
    path("purposes/<str:code>/notices/new/", purposes.notice_create, name="notice_create"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/<uuid:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<uuid:pk>/progress/", imports.import_progress, name="import_progress"),
    path("imports/<uuid:pk>/errors.csv", imports.import_errors, name="import_errors"),
]
