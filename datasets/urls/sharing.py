"""Share links: issuing, revoking, and the recipient's download (namespace "sharing")."""

from django.urls import path

from datasets.views import sharing as views

app_name = "sharing"

urlpatterns = [
    path("for-dataset/<slug:dataset_slug>/", views.dataset_links, name="dataset_links"),
    path("for-dataset/<slug:dataset_slug>/new/", views.share_create, name="create"),
    path("links/<uuid:pk>/revoke/", views.share_revoke, name="revoke"),
    path("d/<str:token>/", views.download, name="download"),
]
