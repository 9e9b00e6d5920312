"""Django admin for the audit log: read-only, since the log is append-only by design."""

from django.contrib import admin

from compliance.audit.models import AuditCheckpoint, AuditEvent, ChainVerification


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by those with the view permission; nobody adds, changes or deletes here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "occurred_at", "actor_type", "actor_label", "action", "target_type", "target_id"]
    list_filter = ["actor_type"]
    search_fields = ["action", "actor_label", "target_id"]
    # The change list would otherwise COUNT(*) the whole log on every page.
    show_full_result_count = False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "hash", "recorded_at", "reason"]
    list_filter = ["reason"]


@admin.register(ChainVerification)
class ChainVerificationAdmin(ReadOnlyAdmin):
    list_display = ["verified_at", "intact", "event_count", "first_bad_sequence", "head_hash"]
    list_filter = ["intact"]
