"""Forms for the erasure pages. They parse and validate input; the services decide and write."""

from django import forms

from consent.erasure.models import RejectionReason, RequestStatus, VerificationMethod
from consent.erasure.selectors import HOLD_STATES, handlers
from consent.forms import DateTimeInput
from consent.jurisdictions import Regime
from datasets.models import Dataset

DUE_CHOICES = [("", "Any"), ("soon", "Due soon"), ("overdue", "Overdue")]
# A status filter value for every request still open (received up to running, or failed): the dashboard links here.
OPEN = "open"


def _handler_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=handlers(), to_field_name="username", **kwargs)


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any"), (OPEN, "Open (not finished)"), *RequestStatus.choices], required=False)
    regulation = forms.ChoiceField(choices=[("", "Any"), *Regime.choices], required=False)
    due = forms.ChoiceField(label="Clock", choices=DUE_CHOICES, required=False)
    assignee = _handler_field(required=False, empty_label="Anyone")


class RequestForm(forms.Form):
    """A request the DPO received: a known subject by external id, or an unknown person's email and/or phone."""

    external_id = forms.CharField(
        label="Subject's external id",
        required=False,
        max_length=255,
        help_text="For a person Custos knows. Leave empty for someone it has no record of, and give their email or phone.",
    )
    email = forms.CharField(label="Email", required=False, max_length=254, help_text="Only for an unknown person.")
    phone = forms.CharField(label="Phone", required=False, max_length=40, help_text="Only for an unknown person; international form.")
    regulation = forms.ChoiceField(
        choices=[("", "From the subject's jurisdiction"), *Regime.choices],
        required=False,
        help_text="Sets the deadline: GDPR one month, CCPA 45 days, the internal policy its own.",
    )
    clause = forms.CharField(required=False, max_length=100, help_text="For example GDPR Art. 17(1)(b); empty for the regulation's article.")
    requester_contact = forms.CharField(
        label="Requester contact", required=False, max_length=500, help_text="How to answer the requester; stored encrypted."
    )
    assignee = _handler_field(required=False, empty_label="Unassigned")

    def identifiers(self) -> dict | None:
        """Return the unknown person's identifiers as given, or None when none were."""
        given = {kind: self.cleaned_data[kind] for kind in ("email", "phone") if self.cleaned_data[kind].strip()}
        return given or None


class VerifyForm(forms.Form):
    method = forms.ChoiceField(
        label="How was the identity verified", choices=[c for c in VerificationMethod.choices if c[0] != "trusted_api_key"]
    )
    evidence_note = forms.CharField(
        label="Evidence", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), help_text="What was checked; no copies of documents."
    )


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=RejectionReason.choices)
    clause = forms.CharField(max_length=100, help_text="The provision relied on, for example GDPR Art. 17(3)(b).")
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ReassignForm(forms.Form):
    assignee = _handler_field(required=False, empty_label="Unassigned")


class HoldFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[(state, state.capitalize()) for state in HOLD_STATES], required=False)


class LegalHoldForm(forms.Form):
    """A hold on a dataset, or on a subject named by external id (one of them)."""

    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), to_field_name="slug", required=False)
    external_id = forms.CharField(label="Or a subject's external id", required=False, max_length=255)
    reason = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), help_text="The case, order or regulator.")
    until = forms.DateTimeField(required=False, widget=DateTimeInput(), help_text="Empty for a hold until released.")

    def __init__(self, *args, datasets=None, **kwargs):
        super().__init__(*args, **kwargs)
        if datasets is not None:
            self.fields["dataset"].queryset = datasets
