"""Organisation controls: what the organisation does, mapped to the requirements it meets across frameworks."""

from django.conf import settings
from django.db import models

from compliance.controls.models.frameworks import Requirement


class ControlStatus(models.TextChoices):
    IMPLEMENTED = "implemented", "Implemented"
    PARTIALLY_IMPLEMENTED = "partially_implemented", "Partially implemented"
    NOT_IMPLEMENTED = "not_implemented", "Not implemented"
    PLANNED = "planned", "Planned"


class AutomatedStatus(models.TextChoices):
    NOT_AUTOMATED = "not_automated", "Not automated"
    PASSING = "passing", "Passing"
    FAILING = "failing", "Failing"
    NO_DATA = "no_data", "No data"


class Control(models.Model):
    """An organisation control, for example "Personal data is encrypted at rest".

    One control counts for every requirement it is mapped to, in every
    framework: its status and its evidence are read on each mapped requirement.
    ``status`` is the manager's judgement; ``automated_status`` and
    ``automated_checked_at`` are written by the automated checks named in
    ``checks``. Shipped controls (``is_default``) come from
    ``defaults/controls.yaml``.
    """

    Status = ControlStatus
    AutomatedStatus = AutomatedStatus

    code = models.CharField(max_length=32, unique=True, help_text="For example CTL-ENC-01.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_controls"
    )
    is_default = models.BooleanField(default=False, verbose_name="shipped", help_text="Part of the default control set.")
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.NOT_IMPLEMENTED)
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="controls")
    checks = models.JSONField(default=list, blank=True, help_text="Keys of the automated checks that test it.")
    automated_status = models.CharField(
        max_length=16, choices=AutomatedStatus.choices, default=AutomatedStatus.NOT_AUTOMATED
    )
    automated_checked_at = models.DateTimeField(null=True, blank=True, verbose_name="automated check run")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ControlStatus.values), name="controls_control_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(automated_status__in=AutomatedStatus.values),
                name="controls_control_automated_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
