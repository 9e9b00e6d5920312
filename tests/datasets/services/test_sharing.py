"""Share links: issuing (token shown once, stored hashed), states, downloads, revocation."""

import hashlib
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.audit.models import AuditEvent
from datasets.models import ShareLink
from datasets.selectors import share_link_for_token
from datasets.services import (
    RegistryActionRefused,
    ShareLinkUnavailable,
    add_storage_location,
    create_share_link,
    record_share_download,
    revoke_share_link,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(dataset, make_version, csv_location):
    return make_version(dataset, "v1")


def share(actor, version, **fields):
    values = {
        "recipient_name": "Dr Rivera",
        "recipient_organisation": "Northfield University",
        "purpose": "Churn study under the data-sharing agreement of March 2026",
        "expires_at": timezone.now() + timedelta(days=7),
    }
    values.update(fields)
    return create_share_link(actor=actor, version=version, **values)


def test_the_token_is_returned_once_and_only_its_hash_is_stored(steward, version, csv_location):
    issued = share(steward, version, max_downloads=2)

    link = ShareLink.objects.get()
    assert link.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in str(ShareLink.objects.values().get())
    assert link.location == csv_location and link.state == "active"
    assert share_link_for_token(token=issued.token) == link
    event = AuditEvent.objects.get(action="share_link.created")
    assert issued.token not in str(event.data) and link.token_hash not in str(event.data)
    assert "Dr Rivera" not in str(event.data)
    assert event.data["recipient_organisation"] == "Northfield University"


def test_downloads_are_counted_audited_and_stop_at_the_limit(steward, version):
    link = share(steward, version, max_downloads=2).link

    record_share_download(link=link)
    link = record_share_download(link=link)
    assert link.download_count == 2 and link.state == "exhausted"
    downloads = AuditEvent.objects.filter(action="share_link.downloaded").order_by("sequence")
    assert [event.data["download"] for event in downloads] == [1, 2]
    assert downloads.last().actor_type == "anonymous"
    assert downloads.last().data["downloads_left"] == 0

    with pytest.raises(ShareLinkUnavailable) as excinfo:
        record_share_download(link=link)
    assert (excinfo.value.state, str(excinfo.value)) == ("exhausted", "This share link has been used for all of its 2 downloads.")


def test_an_expired_link_refuses_downloads_saying_when_it_expired(steward, version):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_current_timezone()), tick=False):
        link = share(steward, version, expires_at=timezone.now() + timedelta(days=1, hours=5, minutes=30)).link
    with time_machine.travel(datetime(2026, 3, 3, 14, 30, tzinfo=timezone.get_current_timezone()), tick=False):
        assert link.state == "expired"
        with pytest.raises(ShareLinkUnavailable) as excinfo:
            record_share_download(link=link)
    assert (excinfo.value.state, str(excinfo.value)) == ("expired", "This share link expired on 3 March 2026, 14:30.")


def test_a_revoked_link_refuses_downloads_and_cannot_be_revoked_twice(steward, version):
    with time_machine.travel(datetime(2026, 3, 3, 10, 15, tzinfo=timezone.get_current_timezone()), tick=False):
        link = share(steward, version).link
        revoke_share_link(actor=steward, link=link, reason="agreement ended")
        link.refresh_from_db()
    assert link.state == "revoked"
    with pytest.raises(ShareLinkUnavailable) as excinfo:
        record_share_download(link=link)
    assert (excinfo.value.state, str(excinfo.value)) == ("revoked", "This share link was revoked on 3 March 2026, 10:15.")
    with pytest.raises(RegistryActionRefused, match="This share link was already revoked on 3 March 2026, 10:15."):
        revoke_share_link(actor=steward, link=link)
    assert AuditEvent.objects.get(action="share_link.revoked").data == {"version": link.version_id, "reason": "agreement ended"}


def test_revocation_beats_expiry_which_beats_exhaustion():
    now = timezone.now()
    link = ShareLink(expires_at=now - timedelta(hours=1), max_downloads=1, download_count=1, revoked_at=now - timedelta(hours=2))
    assert link.state_at(now) == "revoked"
    link.revoked_at = None
    assert link.state_at(now) == "expired"
    link.expires_at = now + timedelta(hours=1)
    assert link.state_at(now) == "exhausted"


def test_share_link_fields_are_validated(steward, version):
    now = timezone.now()
    with pytest.raises(ValidationError) as excinfo:
        share(steward, version, recipient_name="", recipient_organisation=" ", purpose="", expires_at=now - timedelta(minutes=1), max_downloads=0)
    assert excinfo.value.message_dict == {
        "recipient_name": ["Give the recipient's name."],
        "recipient_organisation": ["Give the recipient's organisation."],
        "purpose": ["Give the purpose of the share."],
        "expires_at": ["The expiry must be in the future."],
        "max_downloads": ["The download limit must be at least 1."],
    }
    with pytest.raises(ValidationError) as excinfo:
        share(steward, version, expires_at=now + timedelta(days=91))
    assert excinfo.value.message_dict["expires_at"][0].startswith("A share link lasts at most 90 days: choose an expiry before ")


def test_only_file_locations_in_csv_or_jsonl_can_be_shared(dataset, make_dataset, make_version, steward, dpo, stores):
    bare = make_version(make_dataset("No files"), "v1")
    with pytest.raises(ValidationError) as excinfo:
        share(dpo, bare)
    assert excinfo.value.message_dict == {"location": ["Share links are for file-based datasets: 'no-files' has no filesystem location."]}

    parquet = add_storage_location(actor=dpo, dataset=dataset, name="lake", kind="filesystem", path="lake.parquet", subject_key="email")
    version = make_version(dataset, "v1")
    with pytest.raises(ValidationError) as excinfo:
        share(steward, version, location=parquet)
    assert excinfo.value.message_dict == {
        "location": ["Shared copies carry a watermark, which Custos adds to CSV and JSON Lines files; 'lake' is Parquet."]
    }

    missing = add_storage_location(actor=dpo, dataset=dataset, name="gone", kind="filesystem", path="gone.csv", subject_key="email")
    with pytest.raises(ValidationError) as excinfo:
        share(steward, version, location=missing)
    assert excinfo.value.message_dict == {"location": [f"{stores / 'gone.csv'} is not a file Custos can read, so it cannot be shared."]}
    with pytest.raises(ValidationError) as excinfo:
        share(steward, version)
    assert excinfo.value.message_dict == {"location": ["Dataset 'shop-customers' has 2 filesystem locations: choose the one to share."]}
