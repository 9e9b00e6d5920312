"""Assignments (one row per employee, requirement and cycle), completions, and reminder bookkeeping."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from compliance.crypto.fields import EncryptedTextField
from compliance.staff_training.models.catalog import Course, PolicyVersion
from compliance.staff_training.models.roster import Employee


class Assignment(models.Model):
    """That one employee must complete one course, or acknowledge one policy version, by ``due_at``.

    Rules make them (``services.rules``), never a person alone. Each cycle is its
    own row: a renewal or a new policy version adds a row and the old one is
    closed (expired, cancelled), never overwritten, so the history shows who was
    required to do what, when, and whether they did. At most one row per
    employee and requirement is open (assigned, due soon or overdue).
    """

    class Status(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"
        COMPLETED = "completed", "Completed"
        EXPIRED = "expired", "Expired"
        WAIVED = "waived", "Waived"
        CANCELLED = "cancelled", "No longer required"

    class Reason(models.TextChoices):
        HIRE = "hire", "New starter"
        ROLE_CHANGE = "role_change", "Change of department or role"
        AUDIENCE_CHANGE = "audience_change", "Change of the audience"
        RENEWAL = "renewal", "Renewal after expiry"
        POLICY_VERSION = "policy_version", "New policy version"
        SCHEDULED = "scheduled", "Nightly sync"
        EARLY_COMPLETION = "early_completion", "Completed before it was due"

    OPEN_STATUSES = (Status.ASSIGNED, Status.DUE_SOON, Status.OVERDUE)
    # Completed or waived assignments lapse into EXPIRED after ``expires_at``.
    SATISFIED_STATUSES = (Status.COMPLETED, Status.WAIVED)
    CLOSED_STATUSES = (Status.EXPIRED, Status.CANCELLED)

    id = models.BigAutoField(primary_key=True)
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="assignments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments")
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    cycle = models.PositiveIntegerField(default=1, help_text="1 for the first time, 2 for the first renewal, ...")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ASSIGNED, db_index=True)
    assigned_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When a completion or waiver lapses; empty for once-only courses."
    )
    waiver_reason = models.TextField(blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="waiver approved by",
    )
    waived_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=200, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = "assignment"
        permissions = [
            ("waive_assignment", "Can waive a training assignment"),
            # Held by the roles that handle personal data (DPO, data steward, ML engineer): the training gate applies to them.
            ("gated_by_training", "Must be current on required training to open personal-data pages"),
        ]
        indexes = [models.Index(fields=["employee", "status"], name="staff_training_assign_emp_st")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(course__isnull=False) & models.Q(policy_version__isnull=True))
                | (models.Q(course__isnull=True) & models.Q(policy_version__isnull=False)),
                name="staff_training_assignment_one_requirement",
            ),
            models.UniqueConstraint(
                fields=["employee", "course"],
                condition=models.Q(status__in=["assigned", "due_soon", "overdue"]),
                name="staff_training_assignment_one_open_per_course",
            ),
            models.UniqueConstraint(
                fields=["employee", "policy_version"],
                condition=models.Q(policy_version__isnull=False) & ~models.Q(status="cancelled"),
                name="staff_training_assignment_once_per_policy_version",
            ),
            models.UniqueConstraint(
                fields=["employee", "course", "cycle"],
                condition=models.Q(course__isnull=False),
                name="staff_training_assignment_cycle_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="waived") | (~models.Q(waiver_reason="") & models.Q(waived_by__isnull=False)),
                name="staff_training_assignment_waiver_has_reason_and_approver",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(completed_at__isnull=False),
                name="staff_training_assignment_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_title} for {self.employee}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def requirement_title(self) -> str:
        if self.course_id:
            return self.course.title
        return f"Acknowledge {self.policy_version.policy.title} v{self.policy_version.version}"

    @property
    def is_policy(self) -> bool:
        return self.policy_version_id is not None


class Completion(models.Model):
    """Proof that an employee completed a course or acknowledged a policy version.

    Completions are never edited: each records where it came from (a manager
    with an evidence note, the employee's own acknowledgement, an LMS CSV row or
    an xAPI statement), the score if any and when it happened.
    """

    class Source(models.TextChoices):
        MANAGER = "manager", "Entered by a manager"
        SELF_ATTESTATION = "self_attestation", "Acknowledged by the employee"
        LMS_CSV = "lms_csv", "LMS CSV import"
        XAPI = "xapi", "xAPI statement"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="completion")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, null=True, blank=True, related_name="completions")
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="acknowledgements"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percentage, when the proof had a score."
    )
    completed_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evidence_note = EncryptedTextField(null=True, blank=True, help_text="The manager's note on the evidence; encrypted.")
    lms_import = models.ForeignKey(
        "staff_training.LmsImport", on_delete=models.PROTECT, null=True, blank=True, related_name="completions"
    )
    statement = models.OneToOneField(
        "staff_training.XapiStatement", on_delete=models.PROTECT, null=True, blank=True, related_name="completion"
    )

    class Meta:
        ordering = ["-completed_at"]
        verbose_name = "completion"
        permissions = [("import_lms", "Can import LMS completions")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(course__isnull=False) & models.Q(policy_version__isnull=True))
                | (models.Q(course__isnull=True) & models.Q(policy_version__isnull=False)),
                name="staff_training_completion_one_requirement",
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | (models.Q(score__gte=0) & models.Q(score__lte=100)),
                name="staff_training_completion_score_percentage",
            ),
            # The same LMS record imported twice is one completion.
            models.UniqueConstraint(
                fields=["employee", "course", "completed_at"],
                condition=models.Q(course__isnull=False),
                name="staff_training_completion_once_per_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} for {self.employee} at {self.completed_at:%Y-%m-%d}"


class AssignmentReminder(models.Model):
    """A reminder email sent about an assignment, so each threshold is mailed once per due date."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon (to the employee)"
        OVERDUE = "overdue", "Overdue (to the employee)"
        MANAGER_OVERDUE = "manager_overdue", "Overdue (to the manager)"

    id = models.BigAutoField(primary_key=True)
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField(help_text="The due date the reminder was about.")
    recipient = models.ForeignKey(Employee, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = "assignment reminder"
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind", "due_at"], name="staff_training_reminder_once_per_threshold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for assignment {self.assignment_id}"


class ManagerDigest(models.Model):
    """A weekly digest of a team's overdue training sent to its manager, once per ISO week."""

    id = models.BigAutoField(primary_key=True)
    manager = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="digests")
    week = models.CharField(max_length=8, help_text="ISO year and week, e.g. 2026-W49.")
    overdue_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = "manager digest"
        constraints = [models.UniqueConstraint(fields=["manager", "week"], name="staff_training_digest_once_per_week")]

    def __str__(self) -> str:
        return f"Digest {self.week} for {self.manager}"
