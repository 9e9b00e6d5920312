"""The catalog import form: a CSV or YAML file, checked first, then applied."""

from django import forms

from datasets.catalog_sync import MAX_FILE_BYTES, CatalogFileError, catalog_format, check_size, decode_catalog, read_catalog

CHECK, APPLY = "check", "apply"
NO_FILE = "Choose a catalog file to upload: CSV or YAML, up to 2 MB."
EMPTY_FILE = "The file is empty: its first line must name the columns, such as name,slug,owner."


class ImportForm(forms.Form):
    """A catalog file, or (after "Check file") the text of the file just checked, carried back with "Apply"."""

    file = forms.FileField(
        label="Catalog file",
        required=False,
        help_text=f"CSV or YAML (.csv, .yaml, .yml), UTF-8, up to {MAX_FILE_BYTES // 1024 // 1024} MB.",
        error_messages={"empty": EMPTY_FILE},
    )
    content = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"hidden": True}))
    format = forms.ChoiceField(required=False, choices=[("csv", "CSV"), ("yaml", "YAML")], widget=forms.HiddenInput)
    filename = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    action = forms.ChoiceField(required=False, choices=[(CHECK, "Check file"), (APPLY, "Apply")], widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        try:
            if upload:
                check_size(upload.size)
                cleaned["format"] = catalog_format(upload.name)
                cleaned["filename"] = upload.name
                cleaned["content"] = decode_catalog(upload.read())
            elif cleaned.get("content") and cleaned.get("format"):
                cleaned["content"] = cleaned["content"].replace("\r\n", "\n")
            else:
                raise forms.ValidationError({"file": NO_FILE})
            cleaned["rows"] = read_catalog(cleaned["content"], format=cleaned["format"])
        except CatalogFileError as error:
            raise forms.ValidationError({"file": error.message}) from None
        return cleaned

    @property
    def applying(self) -> bool:
        return self.cleaned_data.get("action") == APPLY
