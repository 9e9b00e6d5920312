"""Django admin for consent records: read-only. Changes go through the pages and the API (the services).

Identifiers stay out of the admin entirely: it shows the external id and the
jurisdiction, never the encrypted fields or their blind indexes.
"""

from django.contrib import admin

from compliance.audit.admin import ReadOnlyAdmin
from consent.models import ConsentEvent, ConsentState, DataSubject, PrivacyNotice, Purpose


@admin.register(DataSubject)
class DataSubjectAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "jurisdiction_country", "jurisdiction_region", "created_at"]
    search_fields = ["external_id"]
    exclude = ["email", "email_index", "phone", "phone_index", "name"]
    show_full_result_count = False


@admin.register(Purpose)
class PurposeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "lawful_basis", "consent_required", "active"]
    list_filter = ["lawful_basis", "active"]


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(ReadOnlyAdmin):
    list_display = ["purpose", "version", "language", "effective_at", "sha256"]
    list_select_related = ["purpose"]


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "subject", "purpose", "status", "collection_method", "recorded_by"]
    list_filter = ["status", "collection_method"]
    list_select_related = ["subject", "purpose"]
    show_full_result_count = False


@admin.register(ConsentState)
class ConsentStateAdmin(ReadOnlyAdmin):
    list_display = ["subject", "purpose", "status", "occurred_at", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["subject", "purpose"]
    show_full_result_count = False
