"""Django admin for the registry: read-only. Changes go through the pages and the API (the services)."""

from django.contrib import admin

from compliance.audit.admin import ReadOnlyAdmin
from datasets.models import (
    Dataset,
    DatasetVersion,
    MLModel,
    PrivacyBudgetOverride,
    ShareLink,
    StorageLocation,
    TrainingRun,
)


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "owner", "status", "sensitivity", "retention_days", "updated_at"]
    list_filter = ["status", "sensitivity"]
    search_fields = ["name", "slug"]
    list_select_related = ["owner"]


@admin.register(StorageLocation)
class StorageLocationAdmin(ReadOnlyAdmin):
    list_display = ["name", "dataset", "kind", "display_target", "subject_key", "erasure_mode"]
    list_filter = ["kind", "erasure_mode"]
    list_select_related = ["dataset"]
    # The connection settings are write-only: never shown, not even here.
    exclude = ["connection"]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "label", "created_at", "source", "row_count"]
    list_filter = ["source"]
    list_select_related = ["dataset"]


@admin.register(MLModel)
class MLModelAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "owner", "deployment_status"]
    list_filter = ["deployment_status"]
    list_select_related = ["owner"]


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = ["pk", "model", "started_at", "status", "privacy_technique", "epsilon", "erasure_status"]
    list_filter = ["status", "privacy_technique", "erasure_status"]
    list_select_related = ["model"]


@admin.register(PrivacyBudgetOverride)
class PrivacyBudgetOverrideAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "model", "epsilon_over", "created_by", "created_at", "used_at"]
    list_select_related = ["dataset", "model", "created_by"]


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyAdmin):
    list_display = ["version", "recipient_organisation", "expires_at", "download_count", "max_downloads", "revoked_at"]
    list_select_related = ["version__dataset"]
    exclude = ["token_hash"]
