from django.urls import path

from consent import views

app_name = "consent"

urlpatterns = [
    path("subjects/", views.subject_search, name="subject_search"),
    path("subjects/<str:external_id>/", views.subject_detail, name="subject_detail"),
    path("subjects/<str:external_id>/reveal/", views.subject_reveal, name="subject_reveal"),
    path("subjects/<str:external_id>/receipt.json", views.subject_receipt, name="subject_receipt"),
    path("subjects/<str:external_id>/record/", views.record, name="record"),
    path("subjects/<str:external_id>/withdraw/<str:purpose_code>/", views.withdraw, name="withdraw"),
    path("events/<uuid:pk>/receipt.json", views.event_receipt, name="event_receipt"),
    path("purposes/", views.purpose_list, name="purpose_list"),
    path("purposes/new/", views.purpose_create, name="purpose_create"),
    path("purposes/<str:code>/", views.purpose_detail, name="purpose_detail"),
    path("purposes/<str:code>/edit/", views.purpose_edit, name="purpose_edit"),
    path("purposes/<str:code>/notices/new/", views.notice_create, name="notice_create"),
]
