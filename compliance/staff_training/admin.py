"""Read-only admin for the training records: every change goes through the services, which audit it.

Names, work emails and evidence notes stay out of the admin: they are encrypted personal data.
"""

from django.contrib import admin

from compliance.audit.admin import ReadOnlyAdmin
from compliance.staff_training.models import (
    Assignment,
    AssignmentReminder,
    Completion,
    Course,
    Employee,
    LmsImport,
    ManagerDigest,
    Policy,
    PolicyVersion,
    RosterImport,
    XapiStatement,
)


@admin.register(Employee)
class EmployeeAdmin(ReadOnlyAdmin):
    list_display = ["employee_number", "department", "job_role", "manager", "start_date", "end_date", "active", "user"]
    list_filter = ["active", "department"]
    list_select_related = ["manager", "user"]
    search_fields = ["employee_number"]
    exclude = ["name", "email", "email_index"]
    raw_id_fields = ["manager", "user"]
    show_full_result_count = False


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "valid_days", "grace_days", "passing_score", "proof_kind", "active"]
    list_filter = ["proof_kind", "active"]
    search_fields = ["code", "title"]


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "grace_days", "active"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["policy", "version", "effective_date", "created_at"]
    list_select_related = ["policy"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["employee", "course", "policy_version", "cycle", "reason", "status", "due_at", "completed_at", "expires_at"]
    list_filter = ["status", "reason", "course"]
    list_select_related = ["employee", "course", "policy_version__policy"]
    search_fields = ["employee__employee_number"]
    raw_id_fields = ["employee", "course", "policy_version", "waived_by"]
    show_full_result_count = False


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdmin):
    list_display = ["employee", "course", "policy_version", "source", "score", "completed_at", "recorded_by"]
    list_filter = ["source"]
    list_select_related = ["employee", "course", "policy_version__policy", "recorded_by"]
    exclude = ["evidence_note"]
    raw_id_fields = ["assignment", "employee", "course", "policy_version", "lms_import", "statement", "recorded_by"]
    show_full_result_count = False


@admin.register(XapiStatement)
class XapiStatementAdmin(ReadOnlyAdmin):
    list_display = ["statement_id", "status", "problem", "verb", "course", "employee", "score", "received_at"]
    list_filter = ["status", "problem"]
    list_select_related = ["course", "employee"]
    exclude = ["actor_index"]
    raw_id_fields = ["employee", "course", "api_key"]
    show_full_result_count = False


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "filename", "partial", "created_count", "updated_count", "deactivated_count", "actor"]
    list_select_related = ["actor"]


@admin.register(LmsImport)
class LmsImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "filename", "matched_count", "unmatched_count", "rejected_count", "actor"]
    list_select_related = ["actor"]


@admin.register(AssignmentReminder)
class AssignmentReminderAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "kind", "due_at", "recipient", "sent_at"]
    list_select_related = ["assignment__employee", "assignment__course", "assignment__policy_version__policy", "recipient"]
    raw_id_fields = ["assignment", "recipient"]


@admin.register(ManagerDigest)
class ManagerDigestAdmin(ReadOnlyAdmin):
    list_display = ["manager", "week", "overdue_count", "sent_at"]
    list_select_related = ["manager"]
