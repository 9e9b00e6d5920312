"""Reads of staff training, scoped to what the user may see, and the figures controls and reports read.

``people`` reads the roster, assignments, completions, the catalogue and the
imports (own, team, or everything for training readers); ``figures`` the
compliance view's and the check's figures. Import them from here.
"""

from compliance.staff_training.selectors.common import (
    LIVE,
    NO_ASSIGNMENT,
    NO_COMPLETION,
    NO_COURSE,
    NO_EMPLOYEE,
    NO_POLICY,
    OPEN,
    VIEW_ASSIGNMENT,
    VIEW_COURSE,
    VIEW_EMPLOYEE,
    VIEW_POLICY,
)
from compliance.staff_training.selectors.figures import (
    ComplianceOverview,
    CourseFigure,
    DepartmentFigure,
    MonthFigure,
    OverdueEmployee,
    PolicyFigure,
    TrainingSummary,
    completion_score_display,
    compliance_overview,
    overdue_assignments,
    overdue_employees,
    training_summary,
)
from compliance.staff_training.selectors.people import (
    OverdueItem,
    TrainingStatus,
    assignment_for_user,
    assignments_for_employee,
    completion_for_user,
    course_for_user,
    courses_for_user,
    current_version,
    departments,
    employee_for_user,
    employee_for_user_by_pk,
    employees_for_user,
    lms_imports_for_user,
    policies_for_user,
    policy_for_user,
    roster_imports_for_user,
    statements_for_user,
    team_for_manager,
    training_status_for_user,
    version_for_user,
)

__all__ = [
    "LIVE", "NO_ASSIGNMENT", "NO_COMPLETION", "NO_COURSE", "NO_EMPLOYEE", "NO_POLICY", "OPEN",
    "VIEW_ASSIGNMENT", "VIEW_COURSE", "VIEW_EMPLOYEE", "VIEW_POLICY",
    "ComplianceOverview", "CourseFigure", "DepartmentFigure", "MonthFigure", "OverdueEmployee", "OverdueItem",
    "PolicyFigure", "TrainingStatus", "TrainingSummary",
    "assignment_for_user", "assignments_for_employee", "completion_for_user", "completion_score_display",
    "compliance_overview", "course_for_user", "courses_for_user", "current_version", "departments",
    "employee_for_user", "employee_for_user_by_pk", "employees_for_user", "lms_imports_for_user",
    "overdue_assignments", "overdue_employees", "policies_for_user", "policy_for_user", "roster_imports_for_user",
    "statements_for_user", "team_for_manager", "training_status_for_user", "training_summary", "version_for_user",
]
