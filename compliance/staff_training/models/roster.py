"""The employee roster, kept in step with the HR system by CSV imports."""

import uuid

from django.conf import settings
from django.db import models

from compliance.crypto.fields import BlindIndexField, EncryptedTextField


class Employee(models.Model):
    """A member of staff who must take training, as the HR roster knows them.

    ``employee_number`` is the HR system's id (the roster's key). Name and work
    email are personal data: encrypted with the row's id as associated data, the
    email with a blind index so imports and xAPI statements find the person
    without decrypting. An employee may be linked to the Custos user they sign in
    as (matched by email on import, or set by hand), which is how "my training"
    and the training gate find them. Leavers are deactivated, never deleted, so
    their training history stays.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    employee_number = models.CharField(
        max_length=64,
        unique=True,
        verbose_name="employee id",
        help_text="The HR system's id for the person; the roster import's key.",
    )
    name = EncryptedTextField(help_text="Encrypted.")
    email = EncryptedTextField(verbose_name="work email", help_text="Encrypted; stored normalised (lower case).")
    email_index = BlindIndexField(source="email", kind="email", verbose_name="work email blind index")
    department = models.CharField(max_length=100, db_index=True, help_text="As the HR roster names it, e.g. Engineering.")
    job_role = models.CharField(max_length=100, db_index=True, verbose_name="job role", help_text="e.g. ML engineer.")
    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        help_text="Receives overdue reminders and the weekly digest for this employee.",
    )
    start_date = models.DateField(help_text="First day of work; new starters' training is due a grace period after it.")
    end_date = models.DateField(null=True, blank=True, help_text="Last day of work, when known.")
    active = models.BooleanField(default=True, db_index=True, help_text="Leavers are deactivated, not deleted.")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        help_text="The Custos account of this person, if they have one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employee_number"]
        verbose_name = "employee"
        permissions = [("import_roster", "Can import the HR roster")]
        constraints = [
            models.UniqueConstraint(
                fields=["email_index"],
                condition=models.Q(email_index__isnull=False),
                name="staff_training_employee_email_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="staff_training_employee_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("id")),
                name="staff_training_employee_not_own_manager",
            ),
        ]

    def __str__(self) -> str:
        return self.employee_number
