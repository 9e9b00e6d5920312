"""Every write of staff training, one module per concept; import them from here.

``rules`` assigns by rule; ``roster`` and ``lms`` import CSV files with a
preview; ``completions`` records completions, acknowledgements and waivers;
``xapi`` receives statements; ``catalog`` edits courses and policies;
``reminders`` mails employees and managers.
"""

from compliance.staff_training.services.catalog import add_policy_version, create_course, create_policy, update_course
from compliance.staff_training.services.completions import (
    acknowledge_policy,
    may_record_for,
    record_manager_completion,
    waive_assignment,
)
from compliance.staff_training.services.errors import TrainingActionRefused
from compliance.staff_training.services.lms import LmsReport, LmsRow, apply_lms_import, preview_lms_import
from compliance.staff_training.services.reminders import send_manager_digests, send_reminders
from compliance.staff_training.services.roster import (
    RosterChange,
    RosterPreview,
    RosterRow,
    RowError,
    apply_roster_import,
    link_employee_user,
    preview_roster_import,
)
from compliance.staff_training.services.rules import SyncResult, sync_assignments
from compliance.staff_training.services.xapi import MalformedStatement, StatementResult, receive_statement

__all__ = [
    "LmsReport",
    "LmsRow",
    "MalformedStatement",
    "RosterChange",
    "RosterPreview",
    "RosterRow",
    "RowError",
    "StatementResult",
    "SyncResult",
    "TrainingActionRefused",
    "acknowledge_policy",
    "add_policy_version",
    "apply_lms_import",
    "apply_roster_import",
    "create_course",
    "create_policy",
    "link_employee_user",
    "may_record_for",
    "preview_lms_import",
    "preview_roster_import",
    "receive_statement",
    "record_manager_completion",
    "send_manager_digests",
    "send_reminders",
    "sync_assignments",
    "update_course",
    "waive_assignment",
]
