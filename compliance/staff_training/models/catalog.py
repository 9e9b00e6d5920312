"""What staff must learn or acknowledge: courses, and policies in versions."""

import uuid

from django.db import models
from django.utils import timezone


class Audience(models.Model):
    """Who must take a course or acknowledge a policy.

    An employee is in the audience when their department, their job role or one
    of their Custos roles is listed; when all three lists are empty, everyone
    active is. Lists hold names exactly as the roster and the role groups spell
    them.
    """

    audience_departments = models.JSONField(
        default=list, blank=True, verbose_name="departments", help_text="Departments that must take it."
    )
    audience_job_roles = models.JSONField(
        default=list, blank=True, verbose_name="job roles", help_text="Job roles that must take it."
    )
    audience_roles = models.JSONField(
        default=list,
        blank=True,
        verbose_name="Custos roles",
        help_text="Custos roles (DPO, Data steward, ...) whose holders must take it.",
    )
    grace_days = models.PositiveIntegerField(
        default=30, verbose_name="grace period (days)", help_text="New starters have this many days from their start date."
    )
    active = models.BooleanField(default=True, help_text="Retired ones assign nothing new; history stays.")

    class Meta:
        abstract = True

    @property
    def audience_is_everyone(self) -> bool:
        return not (self.audience_departments or self.audience_job_roles or self.audience_roles)

    def includes(self, *, department: str, job_role: str, roles: frozenset[str] | set[str]) -> bool:
        """Whether an employee of this department, job role and Custos roles must take it."""
        if self.audience_is_everyone:
            return True
        return (
            department in self.audience_departments
            or job_role in self.audience_job_roles
            or bool(set(roles) & set(self.audience_roles))
        )

    @property
    def audience_display(self) -> str:
        if self.audience_is_everyone:
            return "Everyone"
        parts = [*self.audience_departments, *self.audience_job_roles, *(f"{role} (role)" for role in self.audience_roles)]
        return ", ".join(parts)


class Course(Audience):
    """A training course staff must complete, once or every ``valid_days``.

    It supports controls and framework requirements, named by their codes
    (``control_codes``, ``requirement_refs`` such as ``gdpr:art-39``), so a
    completion is evidence for them without this app depending on controls.
    Completions come from the LMS (CSV or xAPI, the activity id maps to the
    course), a quiz score checked against ``passing_score``, or a policy
    acknowledgement, as ``proof_kind`` says.
    """

    class ProofKind(models.TextChoices):
        LMS_RECORD = "lms_record", "LMS record"
        QUIZ_SCORE = "quiz_score", "Quiz score"
        POLICY_ACKNOWLEDGEMENT = "policy_ack", "Policy acknowledgement"

    id = models.BigAutoField(primary_key=True)
    code = models.SlugField(max_length=64, unique=True, help_text="Short stable code used by LMS imports, e.g. dp-basics.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    control_codes = models.JSONField(
        default=list, blank=True, verbose_name="controls supported", help_text="Unified control codes, e.g. GOV-03."
    )
    requirement_refs = models.JSONField(
        default=list,
        blank=True,
        verbose_name="requirements supported",
        help_text="Framework requirement references, e.g. gdpr:art-39-1-b, hipaa:164.308(a)(5).",
    )
    valid_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="valid for (days)",
        help_text="A completion lapses after this many days; empty means once is enough.",
    )
    passing_score = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Percentage (0–100) a score must reach; empty when no score is needed.",
    )
    proof_kind = models.CharField(max_length=16, choices=ProofKind.choices, default=ProofKind.LMS_RECORD)
    xapi_activity_id = models.URLField(
        max_length=500,
        null=True,
        blank=True,
        unique=True,
        verbose_name="xAPI activity id",
        help_text="The IRI the LMS uses for this course in xAPI statements.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "course"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(passing_score__isnull=True)
                | (models.Q(passing_score__gte=0) & models.Q(passing_score__lte=100)),
                name="staff_training_course_passing_score_percentage",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_days__isnull=True) | models.Q(valid_days__gt=0),
                name="staff_training_course_valid_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    @property
    def recurrence_display(self) -> str:
        return f"every {self.valid_days} days" if self.valid_days else "once"


class Policy(Audience):
    """A policy staff must acknowledge, kept in versions; each version in force is acknowledged anew."""

    id = models.BigAutoField(primary_key=True)
    code = models.SlugField(max_length=64, unique=True, help_text="Short stable code, e.g. acceptable-use.")
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "policy"
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.title


def policy_file_path(instance: "PolicyVersion", filename: str) -> str:
    return f"staff_training/policies/{instance.policy.code}/{uuid.uuid4().hex}-{filename}"


class PolicyVersion(models.Model):
    """One version of a policy, in force from ``effective_date`` until the next version's."""

    id = models.BigAutoField(primary_key=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=32, help_text="As the policy names it, e.g. 2.0.")
    text = models.TextField(blank=True, help_text="The policy's text; or upload a file.")
    file = models.FileField(upload_to=policy_file_path, blank=True, help_text="The policy document; or give its text.")
    effective_date = models.DateField(help_text="From this day everyone in scope must acknowledge this version.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["policy", "-effective_date"]
        verbose_name = "policy version"
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="staff_training_policyversion_unique"),
            models.UniqueConstraint(
                fields=["policy", "effective_date"], name="staff_training_policyversion_one_per_day"
            ),
            models.CheckConstraint(
                condition=~models.Q(text="") | ~models.Q(file=""), name="staff_training_policyversion_has_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.title} v{self.version}"
