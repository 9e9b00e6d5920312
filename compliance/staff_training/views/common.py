"""What the training pages share: permission names, the permission decorator, filter query strings, masking."""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.utils.http import urlencode

VIEW_EMPLOYEE = "staff_training.view_employee"
CHANGE_EMPLOYEE = "staff_training.change_employee"
VIEW_COURSE = "staff_training.view_course"
ADD_COURSE = "staff_training.add_course"
CHANGE_COURSE = "staff_training.change_course"
VIEW_POLICY = "staff_training.view_policy"
ADD_POLICY = "staff_training.add_policy"
ADD_POLICY_VERSION = "staff_training.add_policyversion"
VIEW_ASSIGNMENT = "staff_training.view_assignment"
WAIVE_ASSIGNMENT = "staff_training.waive_assignment"
ADD_COMPLETION = "staff_training.add_completion"
IMPORT_ROSTER = "staff_training.import_roster"
IMPORT_LMS = "staff_training.import_lms"
VIEW_ROSTER_IMPORT = "staff_training.view_rosterimport"
VIEW_LMS_IMPORT = "staff_training.view_lmsimport"
VIEW_STATEMENT = "staff_training.view_xapistatement"

PER_PAGE = 50


def required(permission: str):
    return permission_required(permission, raise_exception=True)


def query_string(form: forms.Form) -> str:
    """Return the form's submitted filters (without the page) for pagination links; empty when invalid."""
    if not form.is_valid():
        return ""
    return urlencode({name: value for name, value in form.data.items() if name != "page" and value})


def mask_email(email: str) -> str:
    """Return a work email with its local part hidden but its first letter: ``j•••@example.org``.

    The roster pages show names (staff data) but not work emails in full, since a
    compliance manager or auditor must not read identifiers in clear (docs/training.md).
    """
    if not email or "@" not in email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
