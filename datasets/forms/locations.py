"""Forms of the storage-location pages: the kind chooser, then the settings of that kind.

Secrets (database and Redis URLs, S3 keys) are write-only: password inputs that
are never filled in, so a page never carries them back to the browser; on an
edit, leaving one empty keeps the stored value.
"""

from django import forms

from datasets.forms.catalog import split_list
from datasets.locations import KIND_SETTINGS, SECRET_SETTINGS, URL_EXAMPLES
from datasets.models import ErasureMode, FileFormat, LocationKind, StorageLocation, SubjectKey

SECRET_HELP_NEW = "Write-only: stored encrypted and never shown again, not even to you."
SECRET_HELP_EDIT = "Write-only: the stored value is never shown. Leave empty to keep it; type a new one to replace it."
# The clear settings of a kind, in the order the form shows them.
SETTING_ORDER = ("url", "table", "path", "format", "key_pattern", "endpoint_url", "bucket", "prefix", "region", "access_key_id", "secret_access_key")


class KindForm(forms.Form):
    """Which kind of store the new location is (a GET form; the answer picks the settings shown)."""

    kind = forms.ChoiceField(
        label="Kind of store",
        choices=LocationKind.choices,
        error_messages={
            "required": "Choose the kind of store.",
            "invalid_choice": f"Unknown kind of store. Choose one of: {', '.join(LocationKind.values)}.",
        },
    )


def _secret(label: str, *, editing: bool, help_text: str = "") -> forms.CharField:
    base = SECRET_HELP_EDIT if editing else SECRET_HELP_NEW
    return forms.CharField(
        label=label,
        required=False,
        max_length=2000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "spellcheck": "false"}),
        help_text=f"{help_text} {base}".strip(),
    )


def _setting_fields(kind: str, *, editing: bool) -> dict[str, forms.Field]:
    url_help = f"For example {URL_EXAMPLES[kind]}." if kind in URL_EXAMPLES else ""
    catalog = {
        "url": lambda: _secret("Connection URL", editing=editing, help_text=url_help),
        "table": lambda: forms.CharField(
            max_length=127, required=False, help_text="The table holding the subjects' records, or schema.table."
        ),
        "path": lambda: forms.CharField(
            max_length=1000,
            required=False,
            help_text="The file (or directory of files); it must lie under a directory Custos is allowed to use.",
        ),
        "format": lambda: forms.ChoiceField(
            required=False,
            choices=[("", "From the file name's suffix"), *FileFormat.choices],
            help_text="CSV, JSON Lines or Parquet.",
        ),
        "key_pattern": lambda: forms.CharField(
            label="Key pattern",
            max_length=500,
            required=False,
            help_text="The subject's keys, with {key} where the subject's key goes, for example user:{key}:*.",
        ),
        "endpoint_url": lambda: forms.CharField(
            label="Endpoint URL",
            max_length=500,
            required=False,
            help_text="For stores other than AWS, for example https://s3.example.org. No credentials here.",
        ),
        "bucket": lambda: forms.CharField(max_length=63, required=False),
        "prefix": lambda: forms.CharField(max_length=1000, required=False, help_text="Key prefix of the dataset's objects."),
        "region": lambda: forms.CharField(max_length=64, required=False),
        "access_key_id": lambda: _secret("Access key id", editing=editing),
        "secret_access_key": lambda: _secret(
            "Secret access key", editing=editing, help_text="Leave both keys empty to use the server's own credentials."
        ),
    }
    return {name: catalog[name]() for name in SETTING_ORDER if name in KIND_SETTINGS[kind]}


class LocationForm(forms.Form):
    """A storage location of one kind: its name, how subjects are keyed in it, and the kind's settings."""

    name = forms.CharField(max_length=200, required=False, help_text="For example shop customers.")
    subject_key = forms.ChoiceField(
        label="Subject key",
        choices=SubjectKey.choices,
        help_text="Which identifier of the subject keys this store.",
    )
    subject_field = forms.CharField(
        label="Subject field",
        max_length=500,
        required=False,
        help_text="The column or field holding that identifier. Leave empty when it is named like the key.",
    )
    erasure_mode = forms.ChoiceField(label="Erasure mode", choices=ErasureMode.choices, initial=ErasureMode.DELETE)
    anonymise_fields = forms.CharField(
        label="Fields to blank",
        max_length=5000,
        required=False,
        help_text="When anonymising: the columns or fields erased, separated by commas.",
    )
    encrypted_at_rest = forms.BooleanField(label="The store is encrypted at rest", required=False)

    def __init__(self, *args, kind: str, location: StorageLocation | None = None, **kwargs):
        editing = location is not None
        if editing:
            kwargs.setdefault("initial", self.initial_for(location))
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields.update(_setting_fields(kind, editing=editing))
        if kind == LocationKind.REDIS:
            # In Redis the key pattern is where the subject is; the service derives the field from it.
            del self.fields["subject_field"]

    @staticmethod
    def initial_for(location: StorageLocation) -> dict:
        """Return the location's clear settings as the form shows them; secrets are never among them."""
        initial = {
            name: getattr(location, name)
            for name in ("name", "subject_key", "subject_field", "erasure_mode", "encrypted_at_rest", *SETTING_ORDER)
            if name not in SECRET_SETTINGS
        }
        initial["anonymise_fields"] = ", ".join(location.anonymise_fields)
        return initial

    def service_values(self) -> dict:
        """Return the fields as the location services take them (call after is_valid())."""
        values = dict(self.cleaned_data)
        values["anonymise_fields"] = split_list(values["anonymise_fields"])
        return values
