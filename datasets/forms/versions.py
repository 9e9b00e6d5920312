"""Forms of the versions pages: register a version, import one from DVC, attach and query membership filters."""

from django import forms
from django.core.exceptions import ValidationError

from datasets.dvc import MAX_DVC_FILE_BYTES, is_lock_file
from datasets.forms.common import JsonTextField, SubjectKeysFields, read_upload
from datasets.models import SubjectKey
from datasets.selectors import versions_for_user
from datasets.services import ParentLink

# Page addresses under /datasets/<slug>/versions/ that a label cannot take.
RESERVED_LABELS = frozenset({"new", "import-dvc"})


def version_label(version) -> str:
    """Return a version as people know it: the dataset's name, then the label."""
    return f"{version.dataset.name} @ {version.label}"


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, version) -> str:
        return version_label(version)


class VersionsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, version) -> str:
        return version_label(version)


def clean_label(label: str) -> str:
    label = label.strip()
    if label.lower() in RESERVED_LABELS:
        raise ValidationError(f"{label!r} is the address of a page here: choose another label, for example v{label}.")
    return label


class ParentsFields(forms.Form):
    """The versions a new one derives from (of any dataset the user may see) and how."""

    parents = VersionsChoiceField(
        queryset=None,
        required=False,
        label="Derived from",
        help_text="Versions of any dataset you may see. Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    transformation = forms.CharField(
        label="Transformation",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How this version was made from them, for example “dropped rows of minors”.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parents"].queryset = versions_for_user(user=user)

    def parent_links(self) -> list[ParentLink]:
        note = self.cleaned_data.get("transformation", "")
        return [ParentLink(version=version, transformation=note) for version in self.cleaned_data.get("parents", [])]


class VersionForm(ParentsFields, SubjectKeysFields):
    """Register a version by hand: its facts, what it derives from, and optionally its subjects."""

    subject_keys_required = False
    field_order = [
        "label",
        "content_digest",
        "row_count",
        "schema_summary",
        "parents",
        "transformation",
        "notes",
        "subject_keys_file",
        "subject_key",
        "false_positive_rate",
    ]

    label = forms.CharField(
        max_length=100,
        help_text="Letters, digits, dots, hyphens and underscores, for example v3 or 2026-03-01.",
    )
    content_digest = forms.CharField(
        label="Content digest (SHA-256)",
        required=False,
        max_length=71,
        help_text="64 hexadecimal digits, for example the output of sha256sum.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "class": "mono"}),
    )
    row_count = forms.IntegerField(
        label="Rows",
        required=False,
        min_value=0,
        error_messages={"invalid": "Enter the row count as a whole number.", "min_value": "The row count cannot be negative."},
    )
    schema_summary = JsonTextField(
        label="Schema summary",
        shape_label="a JSON object (column → type) or a list",
        allow_list=True,
        help_text='Columns and their types, for example {"email": "text", "signed_up_on": "date"}.',
    )
    notes = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_keys_file"].help_text = (
            "Optional: one identifier per line, to answer “was this subject in this version?” later. "
            + self.fields["subject_keys_file"].help_text
        )

    def clean_label(self) -> str:
        return clean_label(self.cleaned_data["label"])

    def service_arguments(self) -> dict:
        """Return the keyword arguments of ``create_version`` (all but actor and dataset)."""
        data = self.cleaned_data
        return {
            "label": data["label"],
            "content_digest": data["content_digest"],
            "row_count": data["row_count"],
            "schema_summary": data["schema_summary"],
            "parents": self.parent_links(),
            "notes": data["notes"],
            **self.subject_key_arguments(),
        }


class DvcImportForm(forms.Form):
    """Register a version from a DVC ``.dvc`` file or ``dvc.lock``."""

    dvc_file = forms.FileField(
        label="DVC file",
        help_text="A .dvc file, or dvc.lock (its stage's inputs that match registered versions become parents).",
    )
    label = forms.CharField(max_length=100, help_text="For example v3 or 2026-03-01.")
    output_path = forms.CharField(
        label="Output path",
        required=False,
        max_length=1000,
        help_text="Only for a file with several outputs: the path of the one this version is.",
    )

    def clean_label(self) -> str:
        return clean_label(self.cleaned_data["label"])

    def clean_dvc_file(self):
        upload = self.cleaned_data["dvc_file"]
        name = upload.name.rsplit("/", 1)[-1]
        if not (name.endswith(".dvc") or is_lock_file(name)):
            raise ValidationError(f"{name} is neither a .dvc file nor dvc.lock: upload the file DVC wrote.")
        return name, read_upload(upload, limit=MAX_DVC_FILE_BYTES, what="DVC file")

    def service_arguments(self) -> dict:
        """Return the keyword arguments of ``import_dvc_version`` (all but actor and dataset)."""
        filename, content = self.cleaned_data["dvc_file"]
        return {
            "label": self.cleaned_data["label"],
            "filename": filename,
            "content": content,
            "output_path": self.cleaned_data["output_path"],
        }


class MembershipAttachForm(SubjectKeysFields):
    """Give an existing version its membership filter."""


class MembershipCheckForm(forms.Form):
    """Ask whether one subject was in a version; the identifier is used for the lookup and not kept."""

    subject_key = forms.ChoiceField(label="Identifier kind", choices=SubjectKey.choices)
    value = forms.CharField(
        label="Identifier",
        max_length=320,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="The subject's external id, email address or phone number, as the filter was built from.",
    )

    def __init__(self, *args, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        if membership is not None:
            self.fields["subject_key"].initial = membership.subject_key
