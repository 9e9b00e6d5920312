"""Staff training models: the roster, courses and policies, assignments, completions, statements and import runs."""

from compliance.staff_training.models.assignments import Assignment, AssignmentReminder, Completion, ManagerDigest
from compliance.staff_training.models.catalog import Audience, Course, Policy, PolicyVersion
from compliance.staff_training.models.imports import LmsImport, RosterImport, XapiStatement
from compliance.staff_training.models.roster import Employee

__all__ = [
    "Assignment",
    "AssignmentReminder",
    "Audience",
    "Completion",
    "Course",
    "Employee",
    "LmsImport",
    "ManagerDigest",
    "Policy",
    "PolicyVersion",
    "RosterImport",
    "XapiStatement",
]
