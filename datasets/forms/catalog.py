"""Forms of the dataset pages: the list's filters, the dataset form, archiving, access grants, history pages.

Forms parse what a person typed; the services decide what is valid and their
ValidationError messages are put back on the fields (``datasets.forms.common.add_service_errors``).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model

from compliance.accounts.roles import Role
from compliance.audit.selectors import LARGEST_SEQUENCE
from datasets.models import (
    AnonymisationTechnique,
    DataCategory,
    Dataset,
    LawfulBasis,
    Regulation,
    RetentionAction,
    Sensitivity,
)
from datasets.selectors import DATASET_SORTS, MISSING_FILTERS, DatasetFilters
from datasets.services import EDITABLE_FIELDS

MISSING_LABELS = {
    "owner": "Missing owner",
    "retention": "Missing retention period",
    "lawful_basis": "Missing lawful basis",
    "encryption": "Missing encryption",
}
STATUS_ALL = "all"
BROKEN_PAGE_LINK = "This page link is broken. Start again from the newest events."


def steward_accounts(*, including=None):
    """Return the active data stewards, by username (plus ``including``, a current owner who may have left the role)."""
    User = get_user_model()
    stewards = User.objects.filter(groups__name=Role.DATA_STEWARD, is_active=True)
    if including is not None:
        stewards = stewards | User.objects.filter(pk=including.pk)
    return stewards.distinct().order_by("username")


class StewardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        full_name = obj.get_full_name()
        return f"{obj.get_username()} ({full_name})" if full_name else obj.get_username()


def split_list(text: str) -> list[str]:
    """Return the items of a comma- or semicolon-separated list typed into one box, stripped, without empties."""
    return [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]


# --- The list ---------------------------------------------------------------------------


class DatasetFilterForm(forms.Form):
    """Narrow and sort the dataset list (a GET form)."""

    q = forms.CharField(label="Search", required=False, max_length=200, help_text="Name, slug or description.")
    category = forms.ChoiceField(label="Category", required=False, choices=[("", "Any category"), *DataCategory.choices])
    sensitivity = forms.ChoiceField(label="Sensitivity", required=False, choices=[("", "Any sensitivity"), *Sensitivity.choices])
    regulation = forms.ChoiceField(label="Regulation", required=False, choices=[("", "Any regulation"), *Regulation.choices])
    owner = StewardChoiceField(label="Owner", required=False, queryset=None, empty_label="Any owner")
    missing = forms.ChoiceField(
        label="Gaps", required=False, choices=[("", "Any"), *((code, MISSING_LABELS[code]) for code in MISSING_FILTERS)]
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Active"), (Dataset.Status.ARCHIVED, "Archived"), (STATUS_ALL, "Active and archived")],
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in DATASET_SORTS], widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = steward_accounts()
        for name in ("category", "sensitivity", "regulation", "missing", "status", "owner"):
            self.fields[name].error_messages["invalid_choice"] = "That choice is not in the list: pick one of the options."
        self.fields["sort"].error_messages["invalid_choice"] = "The list cannot be sorted that way: use the column headings."

    def filters(self) -> DatasetFilters:
        """Return the cleaned filters (call after is_valid())."""
        data = self.cleaned_data
        status = data["status"]
        return DatasetFilters(
            search=data["q"],
            category=data["category"],
            sensitivity=data["sensitivity"],
            regulation=data["regulation"],
            owner=data["owner"].pk if data["owner"] else None,
            missing=data["missing"],
            status="" if status == STATUS_ALL else (status or Dataset.Status.ACTIVE),
            sort=data["sort"] or "name",
        )

    def query(self, *, sort: bool = True) -> str:
        """Return the filters as a query string (no page), with or without the sort, for links."""
        data = self.cleaned_data
        pairs = {name: data[name] for name in ("q", "category", "sensitivity", "regulation", "missing", "status")}
        pairs["owner"] = data["owner"].pk if data["owner"] else ""
        if sort:
            pairs["sort"] = data["sort"]
        return urlencode({name: value for name, value in pairs.items() if value})

    def audit_filters(self) -> dict:
        """Return the filters as an export's audit event records them."""
        data = self.cleaned_data
        return {name: (data[name].pk if name == "owner" and data[name] else data[name]) for name in self.fields}


# --- Creating and editing -----------------------------------------------------------------


class DatasetForm(forms.Form):
    """Every editable attribute of a dataset; the slug only when creating."""

    name = forms.CharField(max_length=200, required=False, help_text="What people call the dataset, for example Shop customers.")
    slug = forms.CharField(
        max_length=100,
        required=False,
        help_text="Permanent short name used in addresses and the API. Leave empty to derive it from the name.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = StewardChoiceField(
        queryset=None, required=False, empty_label="No owner", help_text="The data steward who keeps this entry current."
    )
    data_categories = forms.MultipleChoiceField(
        label="Data categories", required=False, choices=DataCategory.choices, widget=forms.CheckboxSelectMultiple
    )
    sensitivity = forms.ChoiceField(choices=Sensitivity.choices, initial=Sensitivity.INTERNAL)
    subject_jurisdictions = forms.CharField(
        label="Subjects' jurisdictions",
        required=False,
        max_length=500,
        help_text="Where the data subjects are, separated by commas: ISO country codes (GB, DE, US) or US-CA for a US state.",
    )
    regulations_override = forms.BooleanField(
        label="Set the regulations by hand",
        required=False,
        help_text="Otherwise they are derived from the categories and jurisdictions.",
    )
    regulations = forms.MultipleChoiceField(
        required=False,
        choices=Regulation.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used only when set by hand.",
    )
    lawful_bases = forms.MultipleChoiceField(
        label="Lawful bases (GDPR Art. 6(1))", required=False, choices=LawfulBasis.choices, widget=forms.CheckboxSelectMultiple
    )
    purposes = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Purpose codes separated by commas, for example order-fulfilment, marketing.",
    )
    retention_days = forms.IntegerField(
        label="Retention period (days)",
        required=False,
        error_messages={"invalid": "Enter the retention period as a whole number of days."},
    )
    retention_action = forms.ChoiceField(
        label="At the end of retention", choices=RetentionAction.choices, initial=RetentionAction.REVIEW
    )
    source = forms.CharField(max_length=200, required=False, help_text="Where the data comes from.")
    collection_channel = forms.CharField(
        label="Collection channel", max_length=200, required=False, help_text="How it is collected, for example checkout form."
    )
    encryption_at_rest = forms.CharField(
        label="Encryption at rest",
        max_length=100,
        required=False,
        help_text="The algorithm, for example AES-256; empty when the data is not encrypted at rest.",
    )
    encryption_in_transit = forms.BooleanField(label="Encrypted in transit", required=False)
    anonymisation_technique = forms.ChoiceField(
        label="Anonymisation technique", choices=AnonymisationTechnique.choices, initial=AnonymisationTechnique.NONE
    )
    anonymisation_k = forms.IntegerField(
        label="k (k-anonymity)",
        required=False,
        help_text="The smallest group size, for k-anonymity only.",
        error_messages={"invalid": "Enter k as a whole number."},
    )
    anonymisation_epsilon = forms.FloatField(
        label="ε (differential privacy)", required=False, error_messages={"invalid": "Enter ε as a number, for example 1.5."}
    )
    anonymisation_delta = forms.FloatField(
        label="δ (differential privacy)", required=False, error_messages={"invalid": "Enter δ as a number, for example 0.00001."}
    )
    privacy_budget_epsilon = forms.FloatField(
        label="Privacy budget (ε)",
        required=False,
        help_text="Total ε that differentially private training runs may spend on this dataset.",
        error_messages={"invalid": "Enter the budget as a number, for example 10."},
    )

    def __init__(self, *args, dataset: Dataset | None = None, **kwargs):
        if dataset is not None:
            kwargs.setdefault("initial", self.initial_for(dataset))
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = steward_accounts(including=dataset.owner if dataset else None)
        if dataset is not None:
            del self.fields["slug"]

    @staticmethod
    def initial_for(dataset: Dataset) -> dict:
        initial = {name: getattr(dataset, name) for name in EDITABLE_FIELDS}
        initial["subject_jurisdictions"] = ", ".join(dataset.subject_jurisdictions)
        initial["purposes"] = ", ".join(dataset.purposes)
        return initial

    def service_values(self) -> dict:
        """Return the fields as ``update_dataset`` takes them (call after is_valid())."""
        values = {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}
        values["subject_jurisdictions"] = split_list(values["subject_jurisdictions"])
        values["purposes"] = split_list(values["purposes"])
        return values

    def create_values(self) -> dict:
        """Return the fields as ``create_dataset`` takes them: regulations only when set by hand."""
        values = self.service_values()
        override = values.pop("regulations_override")
        if not override:
            values["regulations"] = None
        values["slug"] = self.cleaned_data["slug"]
        return values


class ReasonForm(forms.Form):
    """Why a dataset is archived or restored (optional, kept in the audit log)."""

    reason = forms.CharField(required=False, max_length=2000)


# --- Access -------------------------------------------------------------------------------


class GrantForm(forms.Form):
    """Let a data steward see, or also edit, a dataset."""

    LEVELS = [("change", "View and edit"), ("view", "View only")]

    user = StewardChoiceField(
        label="Data steward",
        queryset=None,
        empty_label="Choose a data steward",
        error_messages={"required": "Choose the data steward to grant access to.", "invalid_choice": "Choose one of the data stewards listed."},
    )
    level = forms.ChoiceField(
        label="Access",
        choices=LEVELS,
        error_messages={"required": "Choose the access to grant.", "invalid_choice": "Choose view only, or view and edit."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = steward_accounts()


class RevokeForm(forms.Form):
    """Whose access to take away (any account; the service decides)."""

    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.all(),
        widget=forms.HiddenInput,
        error_messages={"required": "Say whose access to take away.", "invalid_choice": "That account no longer exists."},
    )


# --- History --------------------------------------------------------------------------------


class HistoryPageForm(forms.Form):
    """The history page's cursor: events older than this sequence number."""

    before = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=LARGEST_SEQUENCE,
        error_messages={"invalid": BROKEN_PAGE_LINK, "min_value": BROKEN_PAGE_LINK, "max_value": BROKEN_PAGE_LINK},
    )
