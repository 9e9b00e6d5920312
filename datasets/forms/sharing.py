"""Forms of the share-link pages: issue a link for a version's file, revoke one."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from datasets.forms.common import datetime_field
from datasets.models import LocationKind
from datasets.selectors import locations_for_dataset, versions_for_dataset

DEFAULT_SHARE_DAYS = 14
DEFAULT_MAX_DOWNLOADS = 3


class VersionLabelField(forms.ModelChoiceField):
    def label_from_instance(self, version) -> str:
        return f"{version.label} ({version.created_at:%d %b %Y})"


class LocationField(forms.ModelChoiceField):
    def label_from_instance(self, location) -> str:
        return f"{location.name} ({location.get_format_display()}, {location.display_target})"


class ShareLinkForm(forms.Form):
    """Who receives which version's file, why, and for how long."""

    version = VersionLabelField(queryset=None, empty_label="Choose a version")
    location = LocationField(
        queryset=None,
        required=False,
        label="File",
        empty_label="The dataset's only file location",
        help_text="Which of the dataset's files to share (CSV or JSON Lines: the copy carries the recipient's watermark).",
    )
    recipient_name = forms.CharField(label="Recipient", max_length=200, help_text="The person who will download the file.")
    recipient_organisation = forms.CharField(label="Organisation", max_length=200)
    purpose = forms.CharField(max_length=5_000, widget=forms.Textarea(attrs={"rows": 3}), help_text="What the recipient may use the data for.")
    expires_at = datetime_field(label="Expires", noun="the expiry", required=True, help_text="At most 90 days from now.")
    max_downloads = forms.IntegerField(
        label="Download limit",
        required=False,
        min_value=1,
        initial=DEFAULT_MAX_DOWNLOADS,
        help_text="Leave empty for no limit until the link expires.",
        error_messages={"invalid": "Enter the download limit as a whole number.", "min_value": "Allow at least 1 download."},
    )

    def __init__(self, *args, dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions_for_dataset(dataset=dataset)
        files = locations_for_dataset(dataset=dataset).filter(kind=LocationKind.FILESYSTEM)
        self.fields["location"].queryset = files
        self.file_location_count = len(files)
        if self.file_location_count > 1:
            self.fields["location"].empty_label = "Choose a file"
        self.fields["expires_at"].initial = (timezone.localtime() + timedelta(days=DEFAULT_SHARE_DAYS)).replace(second=0, microsecond=0)


class ShareRevokeForm(forms.Form):
    """Why the link is ended (optional, kept in the audit log)."""

    reason = forms.CharField(required=False, max_length=5_000)
