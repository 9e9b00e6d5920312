"""The registry's models, one module per concept; import them from here."""

from datasets.models.choices import (
    AnonymisationTechnique,
    DataCategory,
    DeploymentStatus,
    ErasureMode,
    ErasureStatus,
    FileFormat,
    LawfulBasis,
    LocationKind,
    PrivacyTechnique,
    Regulation,
    Resolution,
    RetentionAction,
    RunStatus,
    Sensitivity,
    ShareState,
    SubjectKey,
    VersionSource,
)
from datasets.models.registry import Dataset, DatasetGroupObjectPermission, DatasetUserObjectPermission, StorageLocation
from datasets.models.sharing import ShareLink
from datasets.models.training import (
    MLModel,
    MLModelGroupObjectPermission,
    MLModelUserObjectPermission,
    PrivacyBudgetOverride,
    TrainingRun,
)
from datasets.models.versions import DatasetVersion, MembershipFilter, VersionParent

__all__ = [
    "AnonymisationTechnique",
    "DataCategory",
    "Dataset",
    "DatasetGroupObjectPermission",
    "DatasetUserObjectPermission",
    "DatasetVersion",
    "DeploymentStatus",
    "ErasureMode",
    "ErasureStatus",
    "FileFormat",
    "LawfulBasis",
    "LocationKind",
    "MLModel",
    "MLModelGroupObjectPermission",
    "MLModelUserObjectPermission",
    "MembershipFilter",
    "PrivacyBudgetOverride",
    "PrivacyTechnique",
    "Regulation",
    "Resolution",
    "RetentionAction",
    "RunStatus",
    "Sensitivity",
    "ShareLink",
    "ShareState",
    "StorageLocation",
    "SubjectKey",
    "TrainingRun",
    "VersionParent",
    "VersionSource",
]
