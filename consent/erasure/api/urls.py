"""The erasure endpoints under /api/v1/, in the "api" namespace (included by compliance/api/urls.py)."""

from django.urls import path

from consent.erasure.api import access, engine_views, views

urlpatterns = [
    path("erasure-requests/", views.ErasureRequestListView.as_view(), name="erasure_request_list"),
    path("erasure-requests/<int:pk>/", views.ErasureRequestDetailView.as_view(), name="erasure_request_detail"),
    path("erasure-requests/<int:pk>/approve/", views.ErasureRequestApproveView.as_view(), name="erasure_request_approve"),
    path(
        "erasure-requests/<int:pk>/discover/",
        engine_views.ErasureRequestDiscoverView.as_view(),
        name="erasure_request_discover",
    ),
    path(
        "erasure-requests/<int:pk>/certificate/",
        engine_views.ErasureRequestCertificateView.as_view(),
        name="erasure_request_certificate",
    ),
    path("access-requests/", access.AccessRequestListView.as_view(), name="access_request_list"),
    path("access-requests/<int:pk>/", access.AccessRequestDetailView.as_view(), name="access_request_detail"),
    path(
        "access-requests/<int:pk>/download/", access.AccessRequestDownloadView.as_view(), name="access_request_download"
    ),
]
