"""What the controls pages share: permission decorators and the query string of a filter form."""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.utils.http import urlencode

VIEW_FRAMEWORK = "controls.view_framework"
VIEW_CONTROL = "controls.view_control"
ADD_CONTROL = "controls.add_control"
CHANGE_CONTROL = "controls.change_control"
VIEW_ASSESSMENT = "controls.view_assessment"
ADD_ASSESSMENT = "controls.add_assessment"
CHANGE_ITEM = "controls.change_requirementassessment"
VIEW_EVIDENCE = "controls.view_evidence"
ADD_EVIDENCE = "controls.add_evidence"
CHANGE_EVIDENCE = "controls.change_evidence"


def required(permission: str):
    return permission_required(permission, raise_exception=True)


def query_string(form: forms.Form) -> str:
    """Return the form's submitted filters (without the page) for pagination links; empty when invalid."""
    if not form.is_valid():
        return ""
    return urlencode({name: value for name, value in form.data.items() if name != "page" and value})
