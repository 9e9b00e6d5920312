"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from compliance import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("compliance.accounts.urls")),
    path("audit/", include("compliance.audit.urls")),
    path("api/v1/", include("compliance.api.urls")),
    path("datasets/", include("datasets.urls.catalog")),
    path("datasets/<slug:dataset_slug>/versions/", include("datasets.urls.versions")),
    path("models/", include("datasets.urls.models")),
    path("share/", include("datasets.urls.sharing")),
    path("consent/", include("consent.urls")),
    path("erasure/", include("consent.erasure.urls")),
    path("controls/", include("compliance.controls.urls")),
    path("training/", include("compliance.staff_training.urls")),
    # /dashboard/ and /reports/…
    path("", include("compliance.reports.urls")),
    # Django admin signs in through Custos's own login and MFA, never its own form.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
]

handler403 = "compliance.views.permission_denied"
handler404 = "compliance.views.page_not_found"
handler500 = "compliance.views.server_error"
