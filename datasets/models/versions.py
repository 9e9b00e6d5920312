"""Dataset versions, their lineage, and subject membership filters."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from datasets.models.choices import ProbeScheme, SubjectKey, VersionSource
from datasets.models.registry import Dataset

sha256_hex = RegexValidator(r"^[0-9a-f]{64}$", "A SHA-256 digest is 64 lower-case hexadecimal digits.")


class DatasetVersion(models.Model):
    """A dataset as it was at one point: what it held, and what it was derived from.

    Parents (``VersionParent`` edges, possibly from other datasets) make lineage
    a directed acyclic graph. A version imported from DVC keeps the DVC output's
    path, hash and size; its ``content_digest`` is a SHA-256 when one is known.
    """

    # Fixed addresses in datasets/urls/versions.py; a label equal to one would hide its own page.
    RESERVED_LABELS = frozenset({"new", "import-dvc"})

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(max_length=100, help_text="For example v3 or 2026-03-01.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    content_digest = models.CharField(
        max_length=64,
        blank=True,
        validators=[sha256_hex],
        verbose_name="content digest (SHA-256)",
    )
    row_count = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="rows")
    schema_summary = models.JSONField(
        default=dict,
        blank=True,
        verbose_name="schema summary",
        help_text="Columns and their types, for example {\"email\": \"text\"}.",
    )
    source = models.CharField(max_length=16, choices=VersionSource.choices, default=VersionSource.MANUAL)
    source_path = models.CharField(max_length=1000, blank=True, verbose_name="DVC path")
    source_hash = models.CharField(
        max_length=100,
        blank=True,
        verbose_name="DVC hash",
        help_text="As DVC records it, with its algorithm: md5:… (.dir for a directory).",
    )
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="size (bytes)")
    notes = models.TextField(blank=True)
    parents = models.ManyToManyField(
        "self",
        through="VersionParent",
        through_fields=("child", "parent"),
        symmetrical=False,
        related_name="children",
        blank=True,
    )

    class Meta:
        ordering = ["dataset", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "label"], name="datasets_datasetversion_unique_label"),
        ]
        indexes = [models.Index(fields=["source_hash"], name="datasets_version_source_hash")]

    def __str__(self) -> str:
        return f"{self.dataset.slug}@{self.label}"


class VersionParent(models.Model):
    """A derived-from edge: ``child`` was made from ``parent`` by ``transformation``."""

    child = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="parent_edges")
    parent = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="child_edges")
    transformation = models.TextField(blank=True, help_text="How the child was derived, for example 'dropped rows of minors'.")

    class Meta:
        ordering = ["child", "parent"]
        constraints = [
            models.UniqueConstraint(fields=["child", "parent"], name="datasets_versionparent_unique_edge"),
            models.CheckConstraint(condition=~Q(child=F("parent")), name="datasets_versionparent_no_self_edge"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} ← {self.parent_id}"


class MembershipFilter(models.Model):
    """A Bloom filter over the blind indexes of the subjects one version contains.

    It answers "was subject S in this version?" without the data: never a false
    "no", and a false "yes" at about ``false_positive_rate``. The blind indexes
    are computed under the key ``key_id``, recorded so the filter stays usable
    after the active key changes (while that key stays configured).
    """

    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE, related_name="membership_filter")
    subject_key = models.CharField(max_length=16, choices=SubjectKey.choices, verbose_name="subject key")
    bits = models.BinaryField(help_text="The bit array: bit i is (byte i // 8) & (1 << i % 8).")
    size_bits = models.PositiveBigIntegerField(verbose_name="size m (bits)")
    hash_count = models.PositiveSmallIntegerField(verbose_name="hash functions k")
    expected_items = models.PositiveBigIntegerField(verbose_name="subjects n")
    false_positive_rate = models.FloatField(verbose_name="false-positive rate p")
    key_id = models.CharField(max_length=16, verbose_name="blind-index key id")
    probe_scheme = models.CharField(
        max_length=16,
        choices=ProbeScheme.choices,
        default=ProbeScheme.SHAKE256,
        verbose_name="probe scheme",
        help_text="How an item's bit positions are derived; filters keep the scheme they were built with.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(false_positive_rate__gt=0, false_positive_rate__lt=0.5),
                name="datasets_membershipfilter_rate_range",
            ),
            models.CheckConstraint(condition=Q(size_bits__gte=8, hash_count__gte=1), name="datasets_membershipfilter_sized"),
        ]

    def __str__(self) -> str:
        return f"membership filter of version {self.version_id}"
