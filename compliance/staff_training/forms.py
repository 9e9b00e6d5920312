"""Forms for the training pages. They parse and validate input; the services decide and write.

Services raise ``TrainingActionRefused`` (or ``ValidationError``) with a message a
person can act on, which the views attach to the form as a non-field error.
"""

import hashlib
import re
from datetime import datetime, time

from django import forms
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.staff_training.models import Assignment, Course

# An HR roster or LMS export of a few thousand people is well under this.
MAX_IMPORT_BYTES = 5 * 1024 * 1024
# A policy document (PDF, text) uploaded as a new version.
MAX_POLICY_FILE_BYTES = 10 * 1024 * 1024
CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CONTROL_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$")
LIST_SPLIT = re.compile(r"[,\n;]")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _names(text: str) -> list[str]:
    """Split a comma-, semicolon- or line-separated list into its trimmed, de-duplicated names."""
    seen: list[str] = []
    for part in LIST_SPLIT.split(text or ""):
        name = part.strip()
        if name and name not in seen:
            seen.append(name)
    return seen


class NameListField(forms.CharField):
    """A list of names typed one per line or separated by commas; cleaned to a list."""

    widget = forms.Textarea(attrs={"rows": 2})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(value)
        return value

    def clean(self, value):
        return _names(super().clean(value))


# --- Lists ---------------------------------------------------------------------------------------


class RosterFilterForm(forms.Form):
    q = forms.CharField(
        label="Employee id or work email",
        required=False,
        max_length=254,
        help_text="An exact employee id or work email (names are stored encrypted and cannot be searched).",
    )
    department = forms.ChoiceField(required=False, choices=[("", "Any")])
    status = forms.ChoiceField(
        label="Training",
        required=False,
        choices=[("", "Everyone"), ("active", "Active"), ("overdue", "Overdue"), ("current", "Current (nothing overdue)"), ("inactive", "Left (inactive)")],
    )

    def __init__(self, *args, departments: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "Any"), *((name, name) for name in departments)]

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"department": data["department"], "status": data["status"], "q": data["q"].strip()}


# --- Completions and waivers ---------------------------------------------------------------------


class ManagerCompletionForm(forms.Form):
    assignment = forms.ModelChoiceField(
        queryset=Assignment.objects.none(),
        label="Course",
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of this employee's open courses."},
    )
    completed_on = forms.DateField(label="Completed on", widget=DateInput())
    score = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text="Percentage, when the course has a passing score.",
    )
    evidence_note = forms.CharField(
        label="Evidence",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What proves it: the session attended, the quiz sheet kept, the trainer. Stored encrypted.",
        error_messages={"required": "Say what proves the completion (the evidence note is required)."},
    )

    def __init__(self, *args, assignments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignments is not None:
            self.fields["assignment"].queryset = assignments
        self.fields["assignment"].label_from_instance = lambda assignment: (
            f"{assignment.course.title} (due {timezone.localtime(assignment.due_at):%Y-%m-%d}, {assignment.get_status_display().lower()})"
        )

    def clean_completed_on(self):
        day = self.cleaned_data["completed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("A completion cannot be in the future.")
        return day

    def completed_at(self) -> datetime:
        """The completion day as an aware time: now for today, else noon (so no time zone moves it to another day)."""
        day = self.cleaned_data["completed_on"]
        if day == timezone.localdate():
            return timezone.now()
        return timezone.make_aware(datetime.combine(day, time(12, 0)))


class LinkUserForm(forms.Form):
    username = forms.ModelChoiceField(
        label="Custos account",
        queryset=None,
        to_field_name="username",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="The username this person signs in with; leave empty to unlink.",
        error_messages={"invalid_choice": "No active Custos account has this username."},
    )

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        self.fields["username"].queryset = get_user_model().objects.filter(is_active=True)


class WaiveForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this person need not take it (for example: qualified elsewhere, certificate on file). You are recorded as the approver.",
        error_messages={"required": "Give the reason for the waiver."},
    )


# --- Courses and policies ------------------------------------------------------------------------

ROLE_CHOICES = [(role.value, role.label) for role in Role]


class AudienceFields(forms.Form):
    """Who must take a course or acknowledge a policy; shared by the course and policy forms."""

    audience_departments = NameListField(label="Departments", help_text="Departments as the HR roster names them, separated by commas.")
    audience_job_roles = NameListField(label="Job roles", help_text="Job roles as the HR roster names them, separated by commas.")
    audience_roles = forms.MultipleChoiceField(
        label="Custos roles",
        required=False,
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Holders of these roles must take it. Leave departments, job roles and roles all empty for everyone.",
    )
    grace_days = forms.IntegerField(
        label="Grace period (days)",
        min_value=0,
        max_value=365,
        initial=30,
        help_text="New starters have this many days from their start date.",
    )


class CourseForm(AudienceFields):
    code = forms.CharField(
        max_length=64,
        help_text="Lower-case words joined by hyphens, e.g. dp-basics. The LMS imports name the course by it. Permanent.",
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    valid_days = forms.IntegerField(
        label="Valid for (days)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="A completion lapses after this many days and the course is assigned again. Empty: once is enough.",
    )
    passing_score = forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2, help_text="Percentage a score must reach; empty when none is needed."
    )
    proof_kind = forms.ChoiceField(label="Completion proven by", choices=Course.ProofKind.choices)
    xapi_activity_id = forms.URLField(
        label="xAPI activity id", required=False, max_length=500, assume_scheme="https", help_text="The IRI the LMS sends for this course."
    )
    control_codes = NameListField(label="Controls supported", help_text="Unified control codes, e.g. CTL-TRN-01.")
    requirement_refs = NameListField(
        label="Requirements supported", help_text="Framework references, e.g. gdpr:Art. 39(1)(b), hipaa:164.308(a)(5)."
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Untick to retire the course: it assigns nothing new; its history stays."
    )

    field_order = [
        "code", "title", "description", "audience_departments", "audience_job_roles", "audience_roles", "grace_days",
        "valid_days", "passing_score", "proof_kind", "xapi_activity_id", "control_codes", "requirement_refs", "active",
    ]

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            # A new course is active; retiring is an edit.
            del self.fields["active"]
        else:
            del self.fields["code"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().lower()
        if not CODE.match(code):
            raise forms.ValidationError("Use lower-case letters and digits in words joined by hyphens, for example dp-basics.")
        return code

    def clean_control_codes(self) -> list[str]:
        codes = [code.upper() for code in self.cleaned_data["control_codes"]]
        wrong = [code for code in codes if not CONTROL_CODE.match(code)]
        if wrong:
            raise forms.ValidationError(f"Not a control code: {', '.join(wrong)}. Use codes such as CTL-TRN-01.")
        return codes

    def clean_xapi_activity_id(self):
        return self.cleaned_data["xapi_activity_id"] or None

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class PolicyForm(AudienceFields):
    code = forms.CharField(max_length=64, help_text="Lower-case words joined by hyphens, e.g. acceptable-use. Permanent.")
    title = forms.CharField(max_length=200)

    field_order = ["code", "title", "audience_departments", "audience_job_roles", "audience_roles", "grace_days"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().lower()
        if not CODE.match(code):
            raise forms.ValidationError("Use lower-case letters and digits in words joined by hyphens, for example acceptable-use.")
        return code


class PolicyVersionForm(forms.Form):
    version = forms.CharField(max_length=32, help_text="As the policy names it, e.g. 2.0.")
    effective_date = forms.DateField(
        widget=DateInput(), help_text="From this day everyone in scope must acknowledge this version."
    )
    text = forms.CharField(required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 10}), help_text="The policy's text; or upload a file.")
    file = forms.FileField(required=False, help_text="The policy document (PDF or text), up to 10 MB; or give its text.")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > MAX_POLICY_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB; upload a smaller document.")
        return upload

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("text") or "").strip() and not data.get("file"):
            raise forms.ValidationError("Give the policy's text or upload its document.")
        return data


# --- Imports -------------------------------------------------------------------------------------


class CsvUploadForm(forms.Form):
    """A CSV file, read into memory (bounded), with its SHA-256 so the apply step matches the preview."""

    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row, up to 5 MB.",
        error_messages={"required": "Choose a CSV file to upload."},
    )
    previewed_sha256 = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; split it into several imports.")
        content = upload.read()
        if not content.strip():
            raise forms.ValidationError("The file is empty.")
        self.content = content
        self.sha256 = hashlib.sha256(content).hexdigest()
        self.filename = upload.name or ""
        return upload

    def applies_previewed_file(self) -> bool:
        """Whether the file uploaded to apply is byte for byte the one previewed."""
        return bool(self.cleaned_data.get("previewed_sha256")) and self.cleaned_data["previewed_sha256"] == self.sha256


class RosterImportForm(CsvUploadForm):
    partial = forms.BooleanField(
        label="Partial import",
        required=False,
        help_text="Add and update the people in the file only; nobody missing from it is deactivated.",
    )
