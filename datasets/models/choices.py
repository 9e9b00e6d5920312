"""The registry's code sets. The values are API contracts: never rename one."""

from django.db import models


class DataCategory(models.TextChoices):
    CONTACT = "contact", "Contact details"
    IDENTIFIERS = "identifiers", "Identifiers"
    HEALTH = "health", "Health / PHI"
    FINANCIAL = "financial", "Financial"
    BIOMETRIC = "biometric", "Biometric"
    LOCATION = "location", "Precise location"
    BEHAVIOURAL = "behavioural", "Behavioural"
    CHILDREN = "children", "Children's data"
    SPECIAL_CATEGORY = "special_category", "Special categories (GDPR Art. 9)"


class Sensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


class Regulation(models.TextChoices):
    GDPR = "gdpr", "GDPR"
    HIPAA = "hipaa", "HIPAA"
    CCPA = "ccpa", "CCPA"


class LawfulBasis(models.TextChoices):
    # GDPR Art. 6(1)(a)–(f), in the article's order.
    CONSENT = "consent", "Consent (Art. 6(1)(a))"
    CONTRACT = "contract", "Contract (Art. 6(1)(b))"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation (Art. 6(1)(c))"
    VITAL_INTERESTS = "vital_interests", "Vital interests (Art. 6(1)(d))"
    PUBLIC_TASK = "public_task", "Public task (Art. 6(1)(e))"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests (Art. 6(1)(f))"


class RetentionAction(models.TextChoices):
    DELETE = "delete", "Delete"
    ANONYMISE = "anonymise", "Anonymise"
    REVIEW = "review", "Review"


class AnonymisationTechnique(models.TextChoices):
    NONE = "none", "None"
    PSEUDONYMISED = "pseudonymised", "Pseudonymised"
    MASKED = "masked", "Masked"
    K_ANONYMITY = "k_anonymity", "k-anonymity"
    DIFFERENTIAL_PRIVACY = "differential_privacy", "Differential privacy"


class LocationKind(models.TextChoices):
    POSTGRESQL = "postgresql", "PostgreSQL"
    MYSQL = "mysql", "MySQL / MariaDB"
    SQLITE = "sqlite", "SQLite"
    FILESYSTEM = "filesystem", "Files"
    REDIS = "redis", "Redis"
    S3 = "s3", "S3-compatible object store"


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSONL = "jsonl", "JSON Lines"
    PARQUET = "parquet", "Parquet"


class SubjectKey(models.TextChoices):
    EXTERNAL_ID = "external_id", "External id"
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"


class ErasureMode(models.TextChoices):
    DELETE = "delete", "Delete"
    ANONYMISE = "anonymise", "Anonymise"


class VersionSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    DVC = "dvc", "Imported from DVC"
    API = "api", "Registered through the API"


class DeploymentStatus(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"
    RETIRED = "retired", "Retired"


class PrivacyTechnique(models.TextChoices):
    NONE = "none", "None"
    DP_SGD = "dp_sgd", "DP-SGD"
    FEDERATED = "federated", "Federated learning"
    K_ANONYMISED = "k_anonymised", "Trained on k-anonymised data"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ErasureStatus(models.TextChoices):
    NONE = "none", "Not affected"
    AFFECTED = "affected", "Affected by erasure"
    POSSIBLY_AFFECTED = "possibly_affected", "Possibly affected by erasure"
    RESOLVED = "resolved", "Resolved"


class Resolution(models.TextChoices):
    RETRAINED = "retrained", "Retrained"
    UNLEARNING = "unlearning", "Unlearning applied"
    EXEMPT = "exempt", "Exempt"


class ShareState(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    EXHAUSTED = "exhausted", "All downloads used"


class ProbeScheme(models.TextChoices):
    """How a membership filter derives an item's bit positions (see ``datasets.membership``)."""

    SHAKE256 = "shake256", "Independent SHAKE-256 words"
    # Filters built before December 2026: still read, never built.
    DOUBLE_HASHING = "double-hashing", "Double hashing (legacy)"
