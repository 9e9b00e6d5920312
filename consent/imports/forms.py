"""The import page's upload form."""

from django import forms

from consent.imports.reading import EVIDENCE_FIELDS, OPTIONAL_FIELDS, REQUIRED_FIELDS
from consent.models import ConsentImport


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=(
            f"CSV with a header row naming {', '.join(REQUIRED_FIELDS)} and any of "
            f"{', '.join(OPTIONAL_FIELDS + EVIDENCE_FIELDS)}; or JSON Lines, one consent object per line. "
            "Times in ISO 8601 with their time zone, for example 2026-03-01T09:30:00Z."
        ),
    )
    file_format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "From the file's name or content"), *ConsentImport.Format.choices],
    )
