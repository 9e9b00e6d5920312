"""Read-only admin for catalogs, controls, assessments and evidence: every change goes through the services, which audit it."""

from django.contrib import admin

from compliance.audit.admin import ReadOnlyAdmin
from compliance.controls.models import (
    Assessment,
    Control,
    Evidence,
    Framework,
    Requirement,
    RequirementAssessment,
    RequirementAssessmentChange,
)


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "version", "jurisdiction", "loaded_at"]


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdmin):
    list_display = ["ref", "title", "framework", "assessable", "implementation", "retired_at"]
    list_filter = ["framework", "assessable", "implementation"]
    list_select_related = ["framework"]
    search_fields = ["ref", "title"]
    # Thousands of rows: no drop-down of every parent on the change page.
    raw_id_fields = ["parent"]


@admin.register(Control)
class ControlAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "status", "automated_status", "is_default", "owner"]
    list_filter = ["status", "automated_status", "is_default"]
    list_select_related = ["owner"]
    search_fields = ["code", "title"]
    raw_id_fields = ["requirements"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["title", "framework", "scope", "dataset", "period_start", "period_end", "owner"]
    list_filter = ["framework", "scope"]
    list_select_related = ["framework", "dataset", "owner"]


@admin.register(RequirementAssessment)
class RequirementAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "owner", "due_date", "needs_review", "updated_at"]
    list_filter = ["status", "needs_review"]
    list_select_related = ["assessment", "requirement", "owner"]
    raw_id_fields = ["assessment", "requirement"]


@admin.register(RequirementAssessmentChange)
class RequirementAssessmentChangeAdmin(ReadOnlyAdmin):
    list_display = ["item", "field", "old_value", "new_value", "changed_by", "changed_at"]
    list_select_related = ["item__assessment", "item__requirement", "changed_by"]
    raw_id_fields = ["item"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["title", "original_name", "content_type", "size", "effective_date", "expires_on", "uploaded_by"]
    list_select_related = ["uploaded_by"]
    # The file is served only by the audited download on the evidence page.
    exclude = ["stored_name"]
    raw_id_fields = ["controls", "requirements"]
