from django.urls import path

from consent.erasure import access_views, engine_views, views

app_name = "erasure"

urlpatterns = [
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/reveal/", views.request_reveal, name="request_reveal"),
    path("requests/<int:pk>/verify/", views.request_verify, name="request_verify"),
    path("requests/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("requests/<int:pk>/reject/", views.request_reject, name="request_reject"),
    path("requests/<int:pk>/extend/", views.request_extend, name="request_extend"),
    path("requests/<int:pk>/pause/", views.request_pause, name="request_pause"),
    path("requests/<int:pk>/resume/", views.request_resume, name="request_resume"),
    path("requests/<int:pk>/reassign/", views.request_reassign, name="request_reassign"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<int:pk>/discover/", engine_views.request_discover, name="request_discover"),
    path("requests/<int:pk>/retry/", engine_views.request_retry, name="request_retry"),
    path("requests/<int:pk>/certificate/", engine_views.request_certificate, name="request_certificate"),
    path("access/", access_views.access_list, name="access_list"),
    path("access/new/", access_views.access_create, name="access_create"),
    path("access/<int:pk>/", access_views.access_detail, name="access_detail"),
    path("access/<int:pk>/reveal/", access_views.access_reveal, name="access_reveal"),
    path("access/<int:pk>/verify/", access_views.access_verify, name="access_verify"),
    path("access/<int:pk>/reject/", access_views.access_reject, name="access_reject"),
    path("access/<int:pk>/extend/", access_views.access_extend, name="access_extend"),
    path("access/<int:pk>/pause/", access_views.access_pause, name="access_pause"),
    path("access/<int:pk>/resume/", access_views.access_resume, name="access_resume"),
    path("access/<int:pk>/reassign/", access_views.access_reassign, name="access_reassign"),
    path("access/<int:pk>/retry/", access_views.access_retry, name="access_retry"),
    path("access/<int:pk>/download/", access_views.access_download, name="access_download"),
    path("holds/", views.hold_list, name="hold_list"),
    path("holds/new/", views.hold_create, name="hold_create"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
]
