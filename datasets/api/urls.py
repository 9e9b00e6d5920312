"""The registry's endpoints under /api/v1/, in the "api" namespace (included by compliance/api/urls.py)."""

from django.urls import path

from datasets.api import views

urlpatterns = [
    path("datasets/", views.DatasetListView.as_view(), name="dataset_list"),
    path("datasets/<slug:slug>/", views.DatasetDetailView.as_view(), name="dataset_detail"),
    path("datasets/<slug:slug>/locations/", views.LocationListView.as_view(), name="dataset_locations"),
    path("datasets/<slug:slug>/locations/<uuid:pk>/test/", views.LocationTestView.as_view(), name="location_test"),
    path("datasets/<slug:slug>/versions/", views.VersionListView.as_view(), name="dataset_versions"),
    path("models/", views.ModelListView.as_view(), name="model_list"),
    path("models/<slug:slug>/", views.ModelDetailView.as_view(), name="model_detail"),
    path("training-runs/", views.RunListView.as_view(), name="training_run_list"),
    path("training-runs/<int:pk>/", views.RunDetailView.as_view(), name="training_run_detail"),
    path("training-runs/<int:pk>/finish/", views.RunFinishView.as_view(), name="training_run_finish"),
]
