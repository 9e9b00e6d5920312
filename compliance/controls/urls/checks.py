"""The automated checks' pages, under /controls/checks/."""

from django.urls import path

from compliance.controls import check_views

urlpatterns = [
    path("checks/", check_views.check_list, name="check_list"),
    path("checks/run/", check_views.check_run, name="check_run"),
    path("checks/<str:key>/", check_views.check_detail, name="check_detail"),
]
