"""Forms for the access request pages. Filing reuses the erasure request form (same people, same identifiers)."""

from django import forms

from consent.erasure.access_models import AccessStatus
from consent.erasure.forms import DUE_CHOICES, OPEN, RejectForm
from consent.erasure.models import RejectionReason
from consent.jurisdictions import Regime


class AccessFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any"), (OPEN, "Open (not finished)"), *AccessStatus.choices], required=False)
    regulation = forms.ChoiceField(choices=[("", "Any"), *Regime.choices], required=False)
    due = forms.ChoiceField(label="Clock", choices=DUE_CHOICES, required=False)


class AccessRejectForm(RejectForm):
    """Refusing an access request: a legal hold is no ground (it stops erasure, not access)."""

    reason = forms.ChoiceField(choices=[c for c in RejectionReason.choices if c[0] != RejectionReason.LEGAL_HOLD])
    clause = forms.CharField(max_length=100, help_text="The provision relied on, for example GDPR Art. 15(4).")
