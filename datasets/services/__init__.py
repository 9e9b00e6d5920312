"""Every write to the registry, one module per concept; import them from here.

Each service takes keyword arguments, runs in one transaction and records its
audit event in it. Invalid input raises ``ValidationError`` keyed by field; a
change the current state does not allow raises ``RegistryActionRefused`` (or
its subclasses); a signed-in user without the right raises ``PermissionDenied``.
"""

from datasets.services.catalog import record_catalog_export, sync_catalog
from datasets.services.datasets import (
    EDITABLE_FIELDS,
    archive_dataset,
    create_dataset,
    grant_dataset_access,
    restore_dataset,
    revoke_dataset_access,
    update_dataset,
)
from datasets.services.errors import PrivacyBudgetExceeded, RegistryActionRefused, ShareLinkUnavailable
from datasets.services.locations import (
    ConnectionReport,
    add_storage_location,
    remove_storage_location,
    test_location_connection,
    update_storage_location,
)
from datasets.services.sharing import (
    IssuedShareLink,
    create_share_link,
    record_share_download,
    revoke_share_link,
    trace_leak,
)
from datasets.services.training import (
    create_model,
    finish_training_run,
    flag_training_run,
    grant_model_access,
    record_budget_override,
    register_training_run,
    resolve_training_run,
    revoke_model_access,
    update_model,
)
from datasets.services.versions import (
    ParentLink,
    add_lineage_edge,
    attach_membership_filter,
    check_version_membership,
    create_version,
    import_dvc_version,
)

__all__ = [
    "ConnectionReport",
    "EDITABLE_FIELDS",
    "IssuedShareLink",
    "ParentLink",
    "PrivacyBudgetExceeded",
    "RegistryActionRefused",
    "ShareLinkUnavailable",
    "add_lineage_edge",
    "add_storage_location",
    "archive_dataset",
    "attach_membership_filter",
    "check_version_membership",
    "create_dataset",
    "create_model",
    "create_share_link",
    "create_version",
    "finish_training_run",
    "flag_training_run",
    "grant_dataset_access",
    "grant_model_access",
    "import_dvc_version",
    "record_budget_override",
    "record_catalog_export",
    "record_share_download",
    "register_training_run",
    "remove_storage_location",
    "resolve_training_run",
    "restore_dataset",
    "revoke_dataset_access",
    "revoke_model_access",
    "revoke_share_link",
    "sync_catalog",
    "test_location_connection",
    "trace_leak",
    "update_dataset",
    "update_model",
    "update_storage_location",
]
