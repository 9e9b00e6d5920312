"""ML models and their training runs (namespace "models")."""

from django.urls import path

from datasets.views import models as views

app_name = "models"

urlpatterns = [
    path("", views.model_list, name="list"),
    path("new/", views.model_create, name="create"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/finish/", views.run_finish, name="run_finish"),
    path("runs/<int:pk>/resolve/", views.run_resolve, name="run_resolve"),
    path("for-dataset/<slug:dataset_slug>/", views.dataset_runs, name="dataset_runs"),
    path("<slug:slug>/", views.model_detail, name="detail"),
    path("<slug:slug>/edit/", views.model_edit, name="edit"),
    path("<slug:slug>/runs/new/", views.run_create, name="run_create"),
    path("<slug:slug>/access/grant/", views.access_grant, name="access_grant"),
    path("<slug:slug>/access/revoke/", views.access_revoke, name="access_revoke"),
    path("<slug:slug>/budget-override/", views.budget_override, name="budget_override"),
]
