"""The audit-log page's filter form (a GET form: it only narrows what is shown)."""

from dataclasses import fields
from datetime import date
from urllib.parse import urlencode

from django import forms

from compliance.audit.selectors import LARGEST_SEQUENCE, EventFilters

_BROKEN_CURSOR = (
    "This page link is broken: its position must be an event's sequence number. Start again from the newest events."
)
_CURSOR_ERRORS = {"invalid": _BROKEN_CURSOR, "min_value": _BROKEN_CURSOR, "max_value": _BROKEN_CURSOR}


class EventFilterForm(forms.Form):
    """Narrow the audit log by actor, action, target and period; carry the page cursor."""

    actor = forms.CharField(
        max_length=150,
        required=False,
        help_text="Username or API key name, or part of it.",
    )
    action = forms.CharField(
        max_length=100,
        required=False,
        help_text="Start of the action name, for example auth.",
    )
    target_type = forms.CharField(
        max_length=100,
        required=False,
        label="Target type",
        help_text="For example accounts.user.",
    )
    target_id = forms.CharField(
        max_length=64,
        required=False,
        label="Target id",
        help_text="Exact, for example 42.",
    )
    period_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="First day, organisation time zone.",
        error_messages={"invalid": "Enter the first day as a date, for example 2026-01-31."},
    )
    period_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day, included.",
        error_messages={"invalid": "Enter the last day as a date, for example 2026-01-31."},
    )
    # Page cursors travel in the links, not in the form a person fills in.
    before = forms.IntegerField(
        required=False, min_value=1, max_value=LARGEST_SEQUENCE, widget=forms.HiddenInput, error_messages=_CURSOR_ERRORS
    )
    after = forms.IntegerField(
        required=False, min_value=0, max_value=LARGEST_SEQUENCE, widget=forms.HiddenInput, error_messages=_CURSOR_ERRORS
    )

    def clean(self):
        cleaned = super().clean()
        period_from, period_to = cleaned.get("period_from"), cleaned.get("period_to")
        if period_to == date.max:
            # The period runs to the end of its last day, which date.max has no day after.
            cleaned["period_to"] = None
        if period_from and period_to and period_from > period_to:
            self.add_error("period_to", "The last day is before the first day: swap them or widen the period.")
        if cleaned.get("before") is not None and cleaned.get("after") is not None:
            raise forms.ValidationError(
                "This page link is broken: it asks for events both before and after a point. "
                "Start again from the newest events."
            )
        return cleaned

    def filters(self) -> EventFilters:
        """Return the cleaned filters (call after is_valid())."""
        return EventFilters(**{field.name: self.cleaned_data[field.name] for field in fields(EventFilters)})

    def filter_query(self) -> str:
        """Return the filters as a query string (no cursor), for the page links."""
        data = self.cleaned_data
        pairs = {name: data[name] for name in ("actor", "action", "target_type", "target_id")}
        pairs |= {name: data[name].isoformat() for name in ("period_from", "period_to") if data[name]}
        return urlencode({name: value for name, value in pairs.items() if value})
