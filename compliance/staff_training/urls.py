"""Staff training pages under /training/."""

from django.urls import path

from compliance.staff_training.views import catalog, compliance, imports, mine, roster

app_name = "staff_training"

urlpatterns: list = [
    path("", mine.my_training, name="my_training"),
    path("assignments/<int:pk>/acknowledge/", mine.acknowledge, name="acknowledge"),
    path("certificates/<uuid:pk>/", mine.certificate, name="certificate"),
    path("policy-versions/<int:pk>/", mine.policy_version_text, name="policy_version_text"),
    path("policy-versions/<int:pk>/document/", mine.policy_version_document, name="policy_version_document"),
    path("team/", mine.team, name="team"),
    path("compliance/", compliance.compliance, name="compliance"),
    path("compliance/overdue.csv", compliance.compliance_export, name="compliance_export"),
    path("employees/", roster.employee_list, name="employee_list"),
    path("employees/<uuid:pk>/", roster.employee_detail, name="employee_detail"),
    path("employees/<uuid:pk>/link/", roster.employee_link, name="employee_link"),
    path("employees/<uuid:pk>/completions/new/", roster.completion_record, name="completion_record"),
    path("assignments/<int:pk>/waive/", roster.assignment_waive, name="assignment_waive"),
    path("courses/", catalog.course_list, name="course_list"),
    path("courses/new/", catalog.course_create, name="course_create"),
    path("courses/<slug:code>/", catalog.course_detail, name="course_detail"),
    path("courses/<slug:code>/edit/", catalog.course_edit, name="course_edit"),
    path("policies/", catalog.policy_list, name="policy_list"),
    path("policies/new/", catalog.policy_create, name="policy_create"),
    path("policies/<int:pk>/", catalog.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/versions/new/", catalog.policy_version_create, name="policy_version_create"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/roster/", imports.hr_import, name="hr_import"),
    path("imports/roster/<uuid:pk>/", imports.roster_import_detail, name="roster_import_detail"),
    path("imports/lms/", imports.lms_import, name="lms_import"),
    path("imports/lms/<uuid:pk>/", imports.lms_import_detail, name="lms_import_detail"),
    path("statements/", imports.statement_list, name="statement_list"),
]
