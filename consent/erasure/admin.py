"""Read-only admin for erasure records: every change goes through the services, which audit it."""

from django.contrib import admin

from compliance.audit.admin import ReadOnlyAdmin
from consent.erasure.models import DiscoveryResult, ErasureReminder, ErasureRequest, ErasureStep, LegalHold


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "regulation", "source", "received_at", "due_at", "assignee"]
    list_filter = ["status", "regulation", "source"]
    list_select_related = ["assignee"]
    # Identifiers stay out of the admin: they are encrypted and shown only on the DPO's pages.
    exclude = ["email", "email_index", "phone", "phone_index", "requester_contact"]


@admin.register(ErasureStep)
class ErasureStepAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "location", "status", "attempts", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["location"]


@admin.register(DiscoveryResult)
class DiscoveryResultAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "location", "records_found", "discovered_at"]
    list_select_related = ["location"]


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "dataset", "subject", "set_at", "until", "released_at"]
    list_select_related = ["dataset", "subject"]


@admin.register(ErasureReminder)
class ErasureReminderAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "due_at", "sent_at"]
