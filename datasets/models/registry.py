"""Datasets and the stores that hold them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from compliance.crypto.fields import EncryptedJSONField
from datasets.fields import ChoiceListField
from datasets.models.choices import (
    AnonymisationTechnique,
    DataCategory,
    ErasureMode,
    FileFormat,
    LawfulBasis,
    LocationKind,
    Regulation,
    RetentionAction,
    Sensitivity,
    SubjectKey,
)


class Dataset(models.Model):
    """A body of personal data the organisation holds, described for compliance.

    A dataset says what it contains (data categories, sensitivity), why it may be
    processed (lawful bases, purposes), for how long (retention), under which
    laws (regulations, derived from its categories and its subjects'
    jurisdictions unless overridden) and how it is protected. Where it is kept is
    its storage locations; what it looked like at a point in time, its versions.

    Access is per object (django-guardian): the owner and stewards granted the
    dataset see and edit it; DPO, compliance managers and auditors see all
    datasets through the model-level view permission.
    """

    # Fixed addresses in datasets/urls/catalog.py; a slug equal to one would hide its own page.
    RESERVED_SLUGS = frozenset({"new", "import"})

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(
        max_length=200,
        help_text="What people call the dataset, for example 'Shop customers'.",
    )
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Permanent short name used in addresses and the API.",
    )
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_datasets",
        help_text="The data steward who keeps this entry current.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    data_categories = ChoiceListField(
        choices_class=DataCategory,
        verbose_name="data categories",
    )
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.INTERNAL)
    subject_jurisdictions = models.JSONField(
        default=list,
        blank=True,
        verbose_name="subjects' jurisdictions",
        help_text="Where the data subjects are: ISO country codes (GB, DE, US), or US-CA style for a US state.",
    )
    regulations = ChoiceListField(
        choices_class=Regulation,
        verbose_name="regulations",
        help_text="Derived from the categories and jurisdictions unless overridden.",
    )
    regulations_override = models.BooleanField(
        default=False,
        verbose_name="regulations set by hand",
        help_text="When set, the regulations are kept as entered instead of being derived.",
    )
    lawful_bases = ChoiceListField(
        choices_class=LawfulBasis,
        verbose_name="lawful bases",
    )
    purposes = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes of the purposes the dataset serves.",
    )
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="retention period (days)",
    )
    retention_action = models.CharField(
        max_length=16,
        choices=RetentionAction.choices,
        default=RetentionAction.REVIEW,
        verbose_name="at the end of retention",
    )
    source = models.CharField(max_length=200, blank=True, help_text="Where the data comes from.")
    collection_channel = models.CharField(
        max_length=200,
        blank=True,
        verbose_name="collection channel",
        help_text="How it is collected, for example 'checkout form'.",
    )
    encryption_at_rest = models.CharField(
        max_length=100,
        blank=True,
        verbose_name="encryption at rest",
        help_text="The algorithm, for example AES-256; empty when the data is not encrypted at rest.",
    )
    encryption_in_transit = models.BooleanField(default=False, verbose_name="encrypted in transit")
    anonymisation_technique = models.CharField(
        max_length=32,
        choices=AnonymisationTechnique.choices,
        default=AnonymisationTechnique.NONE,
        verbose_name="anonymisation technique",
    )
    anonymisation_k = models.PositiveIntegerField(null=True, blank=True, verbose_name="k (k-anonymity)")
    anonymisation_epsilon = models.FloatField(null=True, blank=True, verbose_name="ε (differential privacy)")
    anonymisation_delta = models.FloatField(null=True, blank=True, verbose_name="δ (differential privacy)")
    privacy_budget_epsilon = models.FloatField(
        null=True,
        blank=True,
        verbose_name="privacy budget (ε)",
        help_text="Total ε that differentially private training runs may spend on this dataset.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        permissions = [("manage_dataset_access", "Can grant and revoke access to any dataset")]
        # A CHECK passes when its condition is NULL: conditions on nullable columns say isnull=False.
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_days__isnull=True) | Q(retention_days__gte=1),
                name="datasets_dataset_retention_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        anonymisation_technique=AnonymisationTechnique.K_ANONYMITY,
                        anonymisation_k__isnull=False,
                        anonymisation_k__gte=2,
                    )
                    | (~Q(anonymisation_technique=AnonymisationTechnique.K_ANONYMITY) & Q(anonymisation_k__isnull=True))
                ),
                name="datasets_dataset_k_only_for_k_anonymity",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        anonymisation_technique=AnonymisationTechnique.DIFFERENTIAL_PRIVACY,
                        anonymisation_epsilon__isnull=False,
                        anonymisation_epsilon__gt=0,
                        anonymisation_delta__isnull=False,
                        anonymisation_delta__gte=0,
                        anonymisation_delta__lt=1,
                    )
                    | (
                        ~Q(anonymisation_technique=AnonymisationTechnique.DIFFERENTIAL_PRIVACY)
                        & Q(anonymisation_epsilon__isnull=True, anonymisation_delta__isnull=True)
                    )
                ),
                name="datasets_dataset_epsilon_only_for_dp",
            ),
            models.CheckConstraint(
                condition=Q(privacy_budget_epsilon__isnull=True) | Q(privacy_budget_epsilon__gt=0),
                name="datasets_dataset_budget_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED


class DatasetUserObjectPermission(UserObjectPermissionBase):
    """A user's permission on one dataset (a real foreign key, so it goes with the dataset)."""

    content_object = models.ForeignKey(Dataset, on_delete=models.CASCADE)


class DatasetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Dataset, on_delete=models.CASCADE)


class StorageLocation(models.Model):
    """One place a dataset is stored, and how to find a data subject's records in it.

    The connection settings (URLs with passwords, access keys) are encrypted and
    write-only: pages, the API and the audit log show ``display_target``, a
    redacted form such as ``postgresql://app:***@db:5432/shop``, never the
    settings themselves. ``subject_key`` says which identifier keys the store
    and ``subject_field`` where it sits (a column, a field, or for Redis the
    key pattern); erasure either deletes the records or blanks
    ``anonymise_fields``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=LocationKind.choices)
    connection = EncryptedJSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="Secrets (URL with password, access keys), encrypted; never shown back.",
    )
    display_target = models.CharField(
        max_length=1000,
        blank=True,
        verbose_name="target",
        help_text="Where the store is, with any secret redacted.",
    )
    table = models.CharField(max_length=127, blank=True, help_text="Table, or schema.table.")
    path = models.CharField(max_length=1000, blank=True, help_text="File or directory (filesystem, SQLite).")
    format = models.CharField(max_length=16, choices=FileFormat.choices, blank=True)
    key_pattern = models.CharField(
        max_length=500,
        blank=True,
        verbose_name="key pattern",
        help_text="Redis keys of a subject, with {key} where the subject's key goes.",
    )
    bucket = models.CharField(max_length=63, blank=True)
    prefix = models.CharField(max_length=1000, blank=True)
    endpoint_url = models.CharField(max_length=500, blank=True, verbose_name="endpoint URL")
    region = models.CharField(max_length=64, blank=True)
    subject_key = models.CharField(
        max_length=16,
        choices=SubjectKey.choices,
        verbose_name="subject key",
        help_text="Which identifier of the subject keys this store.",
    )
    subject_field = models.CharField(
        max_length=500,
        verbose_name="subject field",
        help_text="The column or field holding that identifier (for Redis, the key pattern).",
    )
    erasure_mode = models.CharField(
        max_length=16,
        choices=ErasureMode.choices,
        default=ErasureMode.DELETE,
        verbose_name="erasure mode",
    )
    anonymise_fields = models.JSONField(
        default=list,
        blank=True,
        verbose_name="fields to blank",
        help_text="When anonymising: the columns or fields erased.",
    )
    encrypted_at_rest = models.BooleanField(default=False, verbose_name="store encrypted at rest")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset", "name"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="datasets_storagelocation_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"
