"""Forms for the consent pages. They parse and validate input; the services decide and write."""

from django import forms
from django.core.exceptions import ValidationError

from consent.models import RECORDABLE_STATUSES, CollectionMethod, Purpose
from datasets.models import LawfulBasis


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to ``form``: per field where the form has it, else to the whole form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


class SubjectSearchForm(forms.Form):
    q = forms.CharField(
        label="External id, email or phone",
        required=False,
        max_length=320,
        help_text="An external id (or its beginning), or an exact email address or phone number.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )


class RecordConsentForm(forms.Form):
    """A consent, refusal or withdrawal the DPO records by hand, for example from a paper form."""

    purpose = forms.ModelChoiceField(queryset=Purpose.objects.none(), to_field_name="code", empty_label=None)
    status = forms.ChoiceField(choices=[(status.value, status.label) for status in RECORDABLE_STATUSES])
    notice_version = forms.CharField(
        label="Notice version",
        required=False,
        max_length=50,
        help_text="The version of the purpose's notice the person saw; required for a grant.",
    )
    collection_method = forms.ChoiceField(
        label="Collected by",
        choices=CollectionMethod.choices,
        initial=CollectionMethod.PAPER,
    )
    occurred_at = forms.DateTimeField(
        label="When the person acted",
        required=False,
        widget=DateTimeInput(),
        help_text="In the organisation's time zone; empty for now.",
    )
    expires_at = forms.DateTimeField(label="Consent expires", required=False, widget=DateTimeInput(), help_text="Grants only.")
    reason = forms.CharField(label="Note", required=False, max_length=500, help_text="For example 'paper form received 3 March'.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = Purpose.objects.order_by("name", "code")


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=500)


class PurposeForm(forms.Form):
    """A purpose's editable fields; ``code`` only when creating (it is permanent)."""

    code = forms.CharField(
        max_length=64,
        help_text="Permanent: lower-case letters, digits, hyphens and underscores, for example model-training.",
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    lawful_basis = forms.ChoiceField(label="Lawful basis", choices=LawfulBasis.choices)
    consent_required = forms.BooleanField(label="Consent required", required=False, initial=True)
    active = forms.BooleanField(required=False, initial=True, help_text="Inactive purposes take no new consents.")

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["code"]


class NoticeForm(forms.Form):
    version = forms.CharField(max_length=50, help_text="For example v3 or 2026-03. A version is published once.")
    language = forms.CharField(max_length=35, initial="en", help_text="A language tag such as en, de or en-GB.")
    effective_at = forms.DateTimeField(
        label="Effective from", required=False, widget=DateTimeInput(), help_text="Empty for now."
    )
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 10}))
    url = forms.URLField(label="URL", required=False, max_length=1000, assume_scheme="https")

