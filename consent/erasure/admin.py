"""Read-only admin for erasure records: every change goes through the services, which audit it."""

from django.contrib import admin

from compliance.audit.admin import ReadOnlyAdmin
from consent.erasure.models import (
    AccessReminder,
    AccessRequest,
    AccessResult,
    DiscoveryResult,
    ErasureReminder,
    ErasureRequest,
    ErasureStep,
    LegalHold,
)

# Identifiers stay out of the admin: they are encrypted and shown only on the DPO's pages.
IDENTIFIER_FIELDS = ["email", "email_index", "phone", "phone_index", "requester_contact"]


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "regulation", "source", "received_at", "due_at", "assignee"]
    list_filter = ["status", "regulation", "source"]
    list_select_related = ["assignee"]
    exclude = IDENTIFIER_FIELDS


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


@admin.register(ErasureReminder, AccessReminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "due_at", "sent_at"]
    list_select_related = ["request"]


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "regulation", "source", "received_at", "due_at", "assignee"]
    list_filter = ["status", "regulation", "source"]
    list_select_related = ["assignee"]
    # The archive's key and stored file names stay out too: the key decrypts the person's records.
    exclude = [*IDENTIFIER_FIELDS, "archive_key", "archive_name"]


@admin.register(AccessResult)
class AccessResultAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "location", "status", "attempts", "records_exported", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["location"]
    exclude = ["part_name"]
