"""/api/v1/ — later parts include their endpoint modules here, in the "api" namespace."""

from django.urls import include, path

from compliance.api import views

app_name = "api"

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("me/", views.MeView.as_view(), name="me"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    path("", include("datasets.api.urls")),
    path("", include("consent.api.urls")),
    path("", include("consent.erasure.api.urls")),
    path("", include("compliance.staff_training.api.urls")),
    path("", include("compliance.reports.api_urls")),
]
