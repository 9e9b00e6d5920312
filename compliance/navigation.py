"""The navigation bar, filtered by what the signed-in user may open.

Later parts add their entries here; a user never sees a link that would refuse them.
"""

from dataclasses import dataclass
from typing import Callable

from compliance.accounts.selectors import can_manage_api_keys


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    allowed: Callable[[object], bool]
    section: str = ""


def _perm(name: str) -> Callable[[object], bool]:
    return lambda user: user.has_perm(name)


NAVIGATION: list[NavItem] = [
    NavItem("Home", "home", lambda user: True),
    NavItem("Dashboard", "reports:dashboard", _perm("reports.view_dashboardsummary")),
    NavItem("Workspace", "reports:workspace", _perm("reports.view_workspace")),
    NavItem("Audit log", "audit:event_list", _perm("audit.view_auditevent")),
    NavItem("Users", "accounts:user_list", _perm("accounts.manage_users")),
    NavItem("API keys", "accounts:api_key_list", lambda user: can_manage_api_keys(user=user)),
    # Readers of every dataset, and stewards, who see the ones granted to them.
    NavItem("Datasets", "datasets:list", lambda user: user.has_perm("datasets.view_dataset") or user.has_perm("datasets.add_dataset")),
    # Readers of every model, and ML engineers, who see the ones granted to them.
    NavItem("Models", "models:list", lambda user: user.has_perm("datasets.view_mlmodel") or user.has_perm("datasets.add_mlmodel")),
    NavItem("Subjects", "consent:subject_search", _perm("consent.view_datasubject")),
    NavItem("Purposes", "consent:purpose_list", _perm("consent.view_purpose")),
    NavItem("Imports", "consent:import_list", _perm("consent.view_consentevent")),
    NavItem("Erasure", "erasure:request_list", _perm("erasure.view_erasurerequest")),
    NavItem("Access requests", "erasure:access_list", _perm("erasure.view_accessrequest")),
    NavItem("Frameworks", "controls:framework_list", _perm("controls.view_framework")),
    NavItem("Controls", "controls:control_list", _perm("controls.view_control")),
    NavItem("Assessments", "controls:assessment_list", _perm("controls.view_assessment")),
    NavItem("Evidence", "controls:evidence_list", _perm("controls.view_evidence")),
    NavItem("Checks", "controls:check_list", _perm("controls.view_checkresult")),
    NavItem("My training", "staff_training:my_training", lambda user: on_training_roster(user)),
    NavItem("Training", "staff_training:compliance", _perm("staff_training.view_assignment")),
    NavItem("Reports", "reports:report_list", _perm("reports.view_auditreport")),
    NavItem("Exports", "reports:export_list", lambda user: may_export_something(user)),
]


def may_export_something(user) -> bool:
    """Whether ``user`` may export at least one register (the Exports page lists those)."""
    # Imported here: the navigation sits on the top floor, and the registers read every app's selectors.
    from compliance.reports.exports.registers import registers_for_user

    return bool(registers_for_user(user))


def on_training_roster(user) -> bool:
    """Whether ``user`` is an employee on the training roster (one query per request, kept on the user object)."""
    # Imported here: the navigation sits on the top floor. The selector's one query is kept on the
    # user for the request and shared with the training gate (the banner's overdue list).
    from compliance.staff_training.selectors import training_status_for_user

    return training_status_for_user(user=user).on_roster


def items_for(user) -> list[NavItem]:
    """Return the navigation entries ``user`` may open."""
    if not user.is_authenticated:
        return []
    return [item for item in NAVIGATION if item.allowed(user)]
