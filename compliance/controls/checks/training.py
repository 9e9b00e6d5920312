"""Checks of staff training: at least 95% of employees are current on their required training.

The staff-training app (issue 6/9) does not exist yet: until it does, the check
says so and reports no data. It never passes on the absence of records.
"""

from datetime import datetime

from django.apps import apps

from compliance.controls.checks.registry import CheckOutcome, check, no_data

TRAINING_APP_LABEL = "staff_training"


@check(
    key="training.staff_current",
    title="Staff are current on required privacy training",
    description="At least 95% of employees have completed the training assigned to them and none of it has lapsed.",
)
def staff_current(*, now: datetime) -> CheckOutcome:
    if not apps.is_installed(f"compliance.{TRAINING_APP_LABEL}"):
        return no_data(
            "Staff training is not recorded in Custos yet (the training module is not installed), "
            "so whether 95% of employees are current cannot be measured."
        )
    # The training module will provide its selector; until this check reads it, it claims nothing.
    return no_data("The training module is installed but this check does not read its records yet.")
