"""The form that requests an audit report: period, frameworks and sections."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from compliance.reports.sections import SECTIONS


class ReportRequestForm(forms.Form):
    """Period (inclusive), frameworks (codes) and sections (names); the service validates and names any problem."""

    period_start = forms.DateField(label="Period start", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="Period end", widget=forms.DateInput(attrs={"type": "date"}), help_text="Inclusive.")
    frameworks = forms.MultipleChoiceField(label="Frameworks", widget=forms.CheckboxSelectMultiple, required=False)
    sections = forms.MultipleChoiceField(
        label="Sections",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        choices=[(section.name, f"{section.title} — {section.description}") for section in SECTIONS],
    )

    def __init__(self, *args, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["frameworks"].choices = [(framework.code, framework.name) for framework in frameworks]
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("period_end", today)
            self.initial.setdefault("period_start", today - timedelta(days=90))
            self.initial.setdefault("frameworks", [framework.code for framework in frameworks])
            self.initial.setdefault("sections", [section.name for section in SECTIONS])
