"""Forms for the controls pages. They parse and validate input; the services decide and write.

Services raise ``ValidationError`` keyed by these forms' field names, which
``form.add_error(None, error)`` attaches to the right fields.
"""

import re

from django import forms

from compliance.controls.models import (
    AssessmentScope,
    AssessmentStatus,
    AutomatedStatus,
    Control,
    ControlStatus,
    Framework,
    Requirement,
)
from compliance.controls.selectors import EVIDENCE_EXPIRED, FLAG_CHOICES, assignable_owners

CONTROL_CODE = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _owner_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=assignable_owners(), to_field_name="username", **kwargs)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Words in the reference, title or guidance.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class ControlFilterForm(forms.Form):
    q = forms.CharField(label="Code or title", required=False, max_length=200)
    status = forms.ChoiceField(choices=[("", "Any"), *ControlStatus.choices], required=False)
    automated_status = forms.ChoiceField(label="Automated", choices=[("", "Any"), *AutomatedStatus.choices], required=False)


class ControlForm(forms.Form):
    code = forms.CharField(
        max_length=32,
        help_text="Upper-case words joined by hyphens, for example CTL-HR-03. Permanent.",
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    owner = _owner_field(required=False, empty_label="No owner")
    status = forms.ChoiceField(choices=ControlStatus.choices, initial=ControlStatus.NOT_IMPLEMENTED)

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["code"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if not CONTROL_CODE.fullmatch(code):
            raise forms.ValidationError("Use upper-case letters and digits in words joined by hyphens, for example CTL-HR-03.")
        return code


class MappingAddForm(forms.Form):
    requirements = forms.ModelMultipleChoiceField(
        queryset=Requirement.objects.filter(assessable=True, retired_at__isnull=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one requirement to map."},
    )


class MappingRemoveForm(forms.Form):
    requirement = forms.ModelChoiceField(queryset=Requirement.objects.all(), widget=forms.HiddenInput)


class AssessmentForm(forms.Form):
    framework = forms.ModelChoiceField(queryset=Framework.objects.order_by("name"), to_field_name="code")
    title = forms.CharField(max_length=200, help_text="For example GDPR assessment 2026.")
    scope = forms.ChoiceField(choices=AssessmentScope.choices, initial=AssessmentScope.ORGANISATION)
    dataset = forms.ModelChoiceField(
        queryset=None, to_field_name="slug", required=False, help_text="Only when the scope is one dataset."
    )
    period_start = forms.DateField(label="Period start", widget=DateInput())
    period_end = forms.DateField(label="Period end", widget=DateInput())
    owner = _owner_field()

    def __init__(self, *args, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = datasets


class ItemFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any"), *AssessmentStatus.choices, (EVIDENCE_EXPIRED, "Evidence expired")], required=False
    )
    flag = forms.ChoiceField(choices=[("", "Any"), *FLAG_CHOICES], required=False)
    section = forms.ModelChoiceField(queryset=Requirement.objects.none(), required=False, empty_label="All sections")
    owner = _owner_field(required=False, empty_label="Anyone")

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = sections
        self.fields["section"].label_from_instance = lambda requirement: f"{requirement.ref} {requirement.title}"


class BulkStatusForm(forms.Form):
    items = forms.TypedMultipleChoiceField(coerce=int, choices=(), error_messages={"required": "Select at least one requirement."})
    status = forms.ChoiceField(label="Set status to", choices=AssessmentStatus.choices)
    justification = forms.CharField(
        required=False, max_length=5000, help_text="Required for not applicable (unless every selected row has one)."
    )

    def __init__(self, *args, item_ids=(), **kwargs):
        # Its own ids: the filter form on the same page has a status field too.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(pk, pk) for pk in item_ids]
        self.fields["items"].error_messages["invalid_choice"] = "Some selected rows are not part of this assessment; reload the page."


class ItemForm(forms.Form):
    status = forms.ChoiceField(choices=AssessmentStatus.choices)
    justification = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Required for not applicable."
    )
    owner = _owner_field(required=False, empty_label="No owner")
    due_date = forms.DateField(label="Due", required=False, widget=DateInput())
    notes = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))


class EvidenceFilterForm(forms.Form):
    q = forms.CharField(label="Title or file name", required=False, max_length=200)
    expiry = forms.ChoiceField(
        choices=[("", "Any"), ("current", "Current"), ("expiring", "Expiring within 30 days"), ("expired", "Expired")],
        required=False,
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(help_text="PDF, PNG, JPEG, .docx/.xlsx/.pptx, or UTF-8 text (.txt, .csv, .json).")
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    effective_date = forms.DateField(label="Effective", widget=DateInput())
    expires_on = forms.DateField(label="Expires", required=False, widget=DateInput(), help_text="Empty: never expires.")
    controls = forms.ModelMultipleChoiceField(
        queryset=Control.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    requirements = forms.CharField(
        label="Requirements",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line as framework:ref, for example gdpr:Art. 32(1)(a).",
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["file"]

    def clean_requirements(self) -> list[Requirement]:
        refs = [line.strip() for line in self.cleaned_data["requirements"].splitlines() if line.strip()]
        pairs = []
        for value in refs:
            code, separator, ref = value.partition(":")
            if not separator or not ref.strip():
                raise forms.ValidationError(f"{value!r} is not framework:ref, for example gdpr:Art. 32(1)(a).")
            pairs.append((code.strip().lower(), ref.strip()))
        found = {
            (requirement.framework.code, requirement.ref): requirement
            for requirement in Requirement.objects.filter(
                framework__code__in={code for code, _ in pairs}, ref__in={ref for _, ref in pairs}, retired_at__isnull=True
            ).select_related("framework")
        }
        unknown = [f"{code}:{ref}" for code, ref in pairs if (code, ref) not in found]
        if unknown:
            raise forms.ValidationError(f"No current requirement {', '.join(unknown)}.")
        return [found[pair] for pair in dict.fromkeys(pairs)]
