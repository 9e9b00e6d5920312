"""Frameworks (GDPR, HIPAA, CCPA) and their requirements, loaded from the YAML catalogs."""

from django.db import models


class RequirementImplementation(models.TextChoices):
    REQUIRED = "required", "Required"
    ADDRESSABLE = "addressable", "Addressable"
    NONE = "", "—"


class Framework(models.Model):
    """A law or standard whose obligations are assessed: one catalog file under ``frameworks/``.

    ``version`` and ``content_sha256`` come from the catalog; the loader compares
    them to decide between "unchanged" and an upgrade in place.
    """

    code = models.CharField(max_length=32, unique=True, help_text="Stable lower-case code: gdpr, hipaa, ccpa.")
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=32, help_text="The catalog's version, bumped when a requirement changes.")
    source = models.CharField(max_length=200, help_text="The instrument the catalog follows.")
    jurisdiction = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    content_sha256 = models.CharField(
        max_length=64, verbose_name="content SHA-256", help_text="Of the catalog's canonical content."
    )
    loaded_at = models.DateTimeField(verbose_name="loaded")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Requirement(models.Model):
    """One node of a framework's tree: a chapter, an article, or an assessable obligation (a leaf).

    ``ref`` is stable across versions (for example ``Art. 32(1)(a)`` or
    ``164.312(a)(2)(iv)``); the loader updates requirements in place by ref and
    sets ``retired_at`` on those a new version drops, so assessments keep them.
    ``content_sha256`` covers what an assessor reads (title, guidance, evidence,
    assessable, implementation): a change marks its assessments for review.
    """

    Implementation = RequirementImplementation

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="requirements")
    ref = models.CharField(max_length=100, verbose_name="reference")
    title = models.CharField(max_length=300)
    guidance = models.TextField(blank=True)
    evidence_examples = models.JSONField(
        default=list, blank=True, verbose_name="typical evidence", help_text="What an auditor would ask to see."
    )
    assessable = models.BooleanField(default=False, help_text="An obligation assessed on its own (a leaf).")
    implementation = models.CharField(
        max_length=16,
        choices=Implementation.choices,
        blank=True,
        default="",
        help_text="HIPAA implementation specifications: required or addressable.",
    )
    summary = models.CharField(max_length=300, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(help_text="Document order within the framework.")
    depth = models.PositiveSmallIntegerField(default=0)
    content_sha256 = models.CharField(max_length=64, verbose_name="content SHA-256")
    retired_at = models.DateTimeField(
        null=True, blank=True, verbose_name="retired", help_text="Set when a new version of the catalog dropped it."
    )

    class Meta:
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "ref"], name="controls_requirement_ref_unique"),
            models.CheckConstraint(
                condition=models.Q(implementation__in=RequirementImplementation.values),
                name="controls_requirement_implementation_valid",
            ),
        ]
        indexes = [models.Index(fields=["framework", "position"], name="controls_requirement_order_idx")]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"
