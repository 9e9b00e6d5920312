"""Pieces the registry's forms share: widgets, JSON and upload fields, and putting a service's errors on a form."""

import json
from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.defaultfilters import filesizeformat

from datasets.membership import DEFAULT_FALSE_POSITIVE_RATE
from datasets.models import SubjectKey
from datasets.services import RegistryActionRefused

MAX_SUBJECT_KEYS_BYTES = 64 * 1024 * 1024


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker; values are in the organisation's time zone."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def datetime_field(*, label: str, noun: str, required: bool, help_text: str = "") -> forms.DateTimeField:
    """Return a date-and-time field; ``noun`` names the moment in its errors ("the start")."""
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeLocalInput(),
        help_text=help_text,
        error_messages={
            "invalid": f"Enter {noun} as a date and time, for example 2026-03-01 14:30.",
            "required": f"Give {noun}.",
        },
    )


class JsonTextField(forms.CharField):
    """A textarea holding JSON of one shape (``object`` or ``object or list``); empty gives ``empty_value``."""

    widget = forms.Textarea

    def __init__(self, *, shape_label: str, allow_list: bool = False, **kwargs):
        self.shape_label = shape_label
        self.allow_list = allow_list
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"rows": 4, "spellcheck": "false", "class": "mono"})

    def to_python(self, value):
        text = super().to_python(value).strip()
        if not text:
            return None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValidationError(
                f"{self.label} must be valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
            ) from None
        if not isinstance(parsed, dict) and not (self.allow_list and isinstance(parsed, list)):
            raise ValidationError(f"The {self.label.lower()} must be {self.shape_label}.")
        return parsed

    def prepare_value(self, value):
        if isinstance(value, dict | list):
            return json.dumps(value, indent=2, ensure_ascii=False)
        return value


def read_upload(upload, *, limit: int, what: str) -> bytes:
    """Return an uploaded file's bytes; raise ValidationError past ``limit`` bytes."""
    if upload.size is not None and upload.size > limit:
        raise ValidationError(f"The {what} is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}.")
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(f"The {what} is larger than {filesizeformat(limit)}.")
    return content


class SubjectKeysFields(forms.Form):
    """A file of subject keys (one identifier a line), their kind, and the filter's false-positive rate."""

    subject_keys_required = True

    subject_keys_file = forms.FileField(
        label="Subject keys file",
        help_text="A text file with one identifier per line (UTF-8). Custos keeps only a Bloom filter of their blind indexes, never the list.",
    )
    subject_key = forms.ChoiceField(
        label="Kind of subject key",
        choices=SubjectKey.choices,
        initial=SubjectKey.EXTERNAL_ID,
    )
    false_positive_rate = forms.FloatField(
        label="False-positive rate",
        initial=DEFAULT_FALSE_POSITIVE_RATE,
        help_text="How often a subject who is not in the version is answered “possibly present”: 0.001 is one in a thousand.",
        error_messages={"invalid": "Enter the false-positive rate as a number, for example 0.001."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_keys_file"].required = self.subject_keys_required
        self.fields["false_positive_rate"].widget.attrs.update({"step": "any", "min": "0", "max": "0.5"})

    def clean_subject_keys_file(self) -> list[str] | None:
        upload = self.cleaned_data.get("subject_keys_file")
        if not upload:
            return None
        content = read_upload(upload, limit=MAX_SUBJECT_KEYS_BYTES, what="subject keys file")
        try:
            return content.decode("utf-8-sig").splitlines()
        except UnicodeDecodeError:
            raise ValidationError(f"{upload.name} is not UTF-8 text: save it as plain text, one identifier per line.") from None

    def clean_false_positive_rate(self) -> float:
        rate = self.cleaned_data["false_positive_rate"]
        if not 0 < rate < 0.5:
            raise ValidationError("The false-positive rate must lie strictly between 0 and 0.5, for example 0.001.")
        return rate

    def subject_key_arguments(self) -> dict:
        """Return the membership-filter arguments of the registry's version services."""
        return {
            "subject_keys": self.cleaned_data.get("subject_keys_file"),
            "subject_key": self.cleaned_data["subject_key"],
            "false_positive_rate": self.cleaned_data["false_positive_rate"],
        }


def call_service(form: forms.Form, service, /, *, renamed: Mapping[str, str] | None = None, **arguments):
    """Return ``service(**arguments)``, or None after putting its ValidationError or refusal on ``form``."""
    try:
        return service(**arguments)
    except ValidationError as error:
        add_service_errors(form, error, renamed=renamed)
    except RegistryActionRefused as refusal:
        form.add_error(None, refusal.message)
    return None


def add_service_errors(form: forms.Form, error: ValidationError, *, renamed: Mapping[str, str] | None = None) -> None:
    """Put a service's ValidationError on ``form``: each message on the field of that name (or as ``renamed``), else on the form."""
    by_field = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    for name, messages in by_field.items():
        target = (renamed or {}).get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)

