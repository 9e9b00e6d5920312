"""The consent endpoints under /api/v1/, in the "api" namespace (included by compliance/api/urls.py)."""

from django.urls import path

from consent.api import views

urlpatterns = [
    path("purposes/", views.PurposeListView.as_view(), name="purpose_list"),
    path("purposes/<str:code>/notices/", views.NoticeListView.as_view(), name="purpose_notices"),
    path("subjects/", views.SubjectUpsertView.as_view(), name="subject_upsert"),
    path("subjects/<str:external_id>/", views.SubjectDetailView.as_view(), name="subject_detail"),
    path("subjects/<str:external_id>/consents/", views.SubjectConsentsView.as_view(), name="subject_consents"),
    path("subjects/<str:external_id>/receipt/", views.SubjectReceiptView.as_view(), name="subject_receipt"),
    path("consents/", views.ConsentRecordView.as_view(), name="consent_record"),
    path("consents/check", views.ConsentCheckView.as_view(), name="consent_check"),
    path("consents/imports/", views.ImportListView.as_view(), name="consent_import_list"),
    path("consents/imports/<uuid:pk>/", views.ImportDetailView.as_view(), name="consent_import_detail"),
    path("consents/imports/<uuid:pk>/errors/", views.ImportErrorsView.as_view(), name="consent_import_errors"),
]
