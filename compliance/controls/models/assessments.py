"""Assessments of a framework: one status per assessable requirement, with its history."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from compliance.controls.models.frameworks import Framework, Requirement


class AssessmentScope(models.TextChoices):
    ORGANISATION = "organisation", "Organisation"
    DATASET = "dataset", "One dataset"


class AssessmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLIANT = "compliant", "Compliant"
    PARTIALLY_COMPLIANT = "partially_compliant", "Partially compliant"
    NON_COMPLIANT = "non_compliant", "Non-compliant"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Assessment(models.Model):
    """An assessment of one framework over a period, for the organisation or one dataset.

    Creating it creates one ``RequirementAssessment`` per assessable
    requirement; a framework upgrade adds rows for new requirements and marks
    changed ones ``needs_review``.
    """

    Scope = AssessmentScope

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(max_length=200)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.ORGANISATION)
    dataset = models.ForeignKey(
        "datasets.Dataset",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        help_text="The dataset assessed, when the scope is one dataset.",
    )
    period_start = models.DateField(verbose_name="period start")
    period_end = models.DateField(verbose_name="period end")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_assessments"
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name="created")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_assessments"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=AssessmentScope.values), name="controls_assessment_scope_valid"
            ),
            models.CheckConstraint(
                condition=(Q(scope=AssessmentScope.DATASET) & Q(dataset__isnull=False))
                | (~Q(scope=AssessmentScope.DATASET) & Q(dataset__isnull=True)),
                name="controls_assessment_dataset_iff_dataset_scope",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="controls_assessment_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RequirementAssessment(models.Model):
    """Where one requirement stands in one assessment: status, owner, due date, notes.

    ``not_applicable`` needs a ``justification`` (the services refuse it
    without one; the quality flags catch rows that predate the rule).
    ``needs_review`` is set by the loader when a new catalog version changed
    the requirement, and cleared by the next edit.
    """

    Status = AssessmentStatus

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="items")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.NOT_STARTED, db_index=True)
    justification = models.TextField(blank=True, help_text="Why the requirement does not apply.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_requirement_assessments",
    )
    due_date = models.DateField(null=True, blank=True, verbose_name="due")
    notes = models.TextField(blank=True)
    needs_review = models.BooleanField(
        default=False, verbose_name="needs review", help_text="A new catalog version changed the requirement."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["assessment", "requirement__position"]
        verbose_name = "requirement assessment"
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "requirement"], name="controls_requirement_assessment_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values), name="controls_requirement_assessment_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} · {self.requirement.ref}"


class RequirementAssessmentChange(models.Model):
    """One field of a requirement assessment changed: who, when, from what to what (the page's history)."""

    item = models.ForeignKey(RequirementAssessment, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now, verbose_name="changed")
    field = models.CharField(max_length=32)
    old_value = models.TextField(blank=True, verbose_name="old")
    new_value = models.TextField(blank=True, verbose_name="new")

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = "requirement assessment change"
        indexes = [models.Index(fields=["item", "changed_at"], name="controls_ra_change_item_idx")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"
