"""Forms of the model pages: models, training runs, their erasure resolution, access grants and budget overrides."""

from django import forms
from django.utils.text import slugify

from datasets.forms.common import JsonTextField, datetime_field
from datasets.forms.versions import VersionChoiceField, VersionsChoiceField
from datasets.models import DeploymentStatus, PrivacyTechnique, Resolution, RunStatus
from datasets.selectors import ModelFilters, budgeted_datasets_for_user, ml_engineers, versions_for_training

# Page addresses under /models/ that a model's slug cannot take.
RESERVED_SLUGS = frozenset({"new", "runs", "for-dataset"})


class EngineerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        full_name = user.get_full_name()
        return f"{user.get_username()} ({full_name})" if full_name else user.get_username()


class ModelFilterForm(forms.Form):
    """Narrow the model list (a GET form)."""

    search = forms.CharField(required=False, max_length=200, label="Search", help_text="Name or slug, or part of it.")
    deployment_status = forms.ChoiceField(
        required=False, label="Deployment", choices=[("", "Any")] + list(DeploymentStatus.choices)
    )
    flagged_only = forms.BooleanField(required=False, label="Only models with runs flagged by an erasure")

    def filters(self) -> ModelFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return ModelFilters(
            search=data.get("search", ""),
            deployment_status=data.get("deployment_status", ""),
            flagged_only=data.get("flagged_only", False),
        )


class MLModelForm(forms.Form):
    """A model's name, owner, intended use and deployment status (and, when registering, its slug)."""

    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=100,
        required=False,
        help_text="Its address in Custos and the API. Left empty, it is made from the name.",
    )
    owner = EngineerChoiceField(
        queryset=None,
        required=False,
        help_text="An ML engineer; they are granted the model. Left empty when you register it as an ML engineer, it is you.",
    )
    intended_use = forms.CharField(label="Intended use", required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 4}))
    deployment_status = forms.ChoiceField(
        label="Deployment status", choices=DeploymentStatus.choices, initial=DeploymentStatus.DEVELOPMENT
    )

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = ml_engineers()
        if not creating:
            del self.fields["slug"]
            self.fields["owner"].help_text = "An ML engineer; a new owner is granted the model."

    def clean(self):
        data = super().clean()
        if "slug" in self.fields and not self.errors:
            slug = data.get("slug") or slugify(data.get("name", ""))
            if slug in RESERVED_SLUGS:
                self.add_error("slug", f"{slug!r} is the address of a page here: give the model another slug.")
        return data

    def service_arguments(self) -> dict:
        """Return the keyword arguments of ``create_model`` (all but actor)."""
        return {name: self.cleaned_data[name] for name in ("name", "slug", "owner", "intended_use", "deployment_status")}

    def changes(self) -> dict:
        """Return the ``changes`` mapping of ``update_model``."""
        return {name: self.cleaned_data[name] for name in ("name", "owner", "intended_use", "deployment_status")}


def _number(label: str, **kwargs) -> forms.FloatField:
    field = forms.FloatField(
        label=label, required=False, error_messages={"invalid": f"Enter {label} as a number, for example 1.5."}, **kwargs
    )
    field.widget.attrs["step"] = "any"
    return field


class TrainingRunForm(forms.Form):
    """Register a training run: the versions it used, when, the code, the metrics, and its privacy technique."""

    dataset_versions = VersionsChoiceField(
        queryset=None,
        label="Dataset versions",
        help_text="The versions it was trained on. Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"required": "Name at least one dataset version the run used."},
    )
    started_at = datetime_field(label="Started", noun="the start", required=True)
    finished_at = datetime_field(label="Finished", noun="the finish", required=False, help_text="Leave empty while it runs.")
    status = forms.ChoiceField(choices=RunStatus.choices, initial=RunStatus.RUNNING)
    code_reference = forms.CharField(
        label="Code reference", required=False, max_length=500, help_text="Commit, tag or URL of the training code."
    )
    metrics = JsonTextField(label="Metrics", shape_label='a JSON object, for example {"accuracy": 0.91}', help_text='For example {"accuracy": 0.91}.')
    privacy_technique = forms.ChoiceField(label="Privacy technique", choices=PrivacyTechnique.choices, initial=PrivacyTechnique.NONE)
    epsilon = _number("ε", help_text="DP-SGD only: the run's privacy loss.")
    delta = _number("δ", help_text="DP-SGD only, for example 0.00001.")
    accountant = forms.CharField(required=False, max_length=100, help_text="DP-SGD only: the accountant, for example rdp or prv.")
    k_anonymity_k = forms.IntegerField(
        label="k",
        required=False,
        help_text="Trained on k-anonymised data only: the k of that data.",
        error_messages={"invalid": "Enter k as a whole number, for example 5."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset_versions"].queryset = versions_for_training(user=user)

    def service_arguments(self) -> dict:
        """Return the keyword arguments of ``register_training_run`` (all but actor and model)."""
        data = self.cleaned_data
        arguments = {name: data[name] for name in self.fields if name != "dataset_versions"}
        arguments["dataset_versions"] = list(data["dataset_versions"])
        arguments["accountant"] = data["accountant"] or ""
        return arguments


class RunFinishForm(forms.Form):
    """Record that a running run completed or failed."""

    status = forms.ChoiceField(
        label="Outcome", choices=[(RunStatus.COMPLETED, "Completed"), (RunStatus.FAILED, "Failed")], initial=RunStatus.COMPLETED
    )
    finished_at = datetime_field(label="Finished", noun="the finish", required=False, help_text="Leave empty for now.")
    metrics = JsonTextField(
        label="Final metrics",
        shape_label='a JSON object, for example {"accuracy": 0.91}',
        help_text="Replaces the run's metrics; leave empty to keep them.",
    )


class RunResolveForm(forms.Form):
    """Close a run's erasure flag: retrained on a version, unlearning applied, or exempt with a reason."""

    resolution = forms.ChoiceField(label="Resolution", choices=Resolution.choices, widget=forms.RadioSelect)
    version = VersionChoiceField(
        queryset=None,
        required=False,
        empty_label="Not a retraining",
        label="Retrained on",
        help_text="For a retraining: the dataset version the model was retrained on.",
    )
    reason = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for an exemption, for example differential privacy with ε below the organisation's threshold.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions_for_training(user=user)

    def service_arguments(self) -> dict:
        """Return the keyword arguments of ``resolve_training_run`` (all but actor and run)."""
        return {name: self.cleaned_data[name] for name in ("resolution", "version", "reason")}


class AccessGrantForm(forms.Form):
    """Grant an ML engineer the model."""

    user = EngineerChoiceField(queryset=None, label="ML engineer", empty_label="Choose an engineer")

    def __init__(self, *args, exclude=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = ml_engineers().exclude(pk__in=[user.pk for user in exclude])


class AccessRevokeForm(forms.Form):
    """Take one engineer's access to the model away (chosen among the current grants)."""

    user = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)

    def __init__(self, *args, grants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {grant.user.pk: grant.user for grant in grants}
        self.fields["user"].choices = [(pk, str(user)) for pk, user in self.people.items()]
        self.fields["user"].error_messages["invalid_choice"] = "That person holds no access to this model."

    def clean_user(self):
        return self.people[self.cleaned_data["user"]]


class BudgetOverrideForm(forms.Form):
    """A DPO's permission for the model's next run to take a dataset past its ε budget (the service checks the figures)."""

    dataset = forms.ModelChoiceField(
        queryset=None,
        empty_label="Choose a dataset with a budget",
        error_messages={"required": "Choose the dataset whose budget the run may exceed."},
    )
    epsilon_over = forms.FloatField(
        label="ε over budget allowed",
        required=False,
        help_text="How far past the dataset's budget the run may take it.",
        error_messages={"invalid": "Enter the ε over budget as a number, for example 0.5."},
    )
    reason = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = budgeted_datasets_for_user(user=user)
        self.fields["epsilon_over"].widget.attrs["step"] = "any"
