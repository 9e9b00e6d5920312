"""The controls app's pages: the framework browser, controls, assessments and evidence (views/), and the checks (urls/checks.py)."""

from django.urls import include, path

from compliance.controls.views import assessments, controls, evidence, frameworks

app_name = "controls"

urlpatterns: list = [
    path("frameworks/", frameworks.framework_list, name="framework_list"),
    path("frameworks/<str:code>/", frameworks.framework_detail, name="framework_detail"),
    path("requirements/<int:pk>/", frameworks.requirement_detail, name="requirement_detail"),
    path("controls/", controls.control_list, name="control_list"),
    path("controls/new/", controls.control_create, name="control_create"),
    path("controls/<str:code>/", controls.control_detail, name="control_detail"),
    path("controls/<str:code>/edit/", controls.control_edit, name="control_edit"),
    path("controls/<str:code>/mapping/", controls.control_mapping, name="control_mapping"),
    path("controls/<str:code>/unmap/", controls.control_unmap, name="control_unmap"),
    path("assessments/", assessments.assessment_list, name="assessment_list"),
    path("assessments/new/", assessments.assessment_create, name="assessment_create"),
    path("assessments/<int:pk>/", assessments.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/bulk/", assessments.assessment_bulk_update, name="assessment_bulk_update"),
    path("assessments/<int:pk>/requirements/<int:item_pk>/", assessments.item_detail, name="item_detail"),
    path("evidence/", evidence.evidence_list, name="evidence_list"),
    path("evidence/new/", evidence.evidence_upload, name="evidence_upload"),
    path("evidence/<uuid:uid>/", evidence.evidence_detail, name="evidence_detail"),
    path("evidence/<uuid:uid>/edit/", evidence.evidence_edit, name="evidence_edit"),
    path("evidence/<uuid:uid>/download/", evidence.evidence_download, name="evidence_download"),
    path("", include("compliance.controls.urls.checks")),
]
