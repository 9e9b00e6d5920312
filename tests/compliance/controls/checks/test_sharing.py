"""Checks of share links: each expires within the policy, and none served a download after it ended."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.controls.checks.registry import on
from datasets.models import ShareLink, StorageLocation
from datasets.models.sharing import hash_share_token
from datasets.services import create_dataset, create_version
from tests.compliance.controls.checks.conftest import labels, urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(dpo):
    dataset = create_dataset(actor=dpo, name="Shop customers", data_categories=["contact"])
    return create_version(actor=dpo, dataset=dataset, label="v1")


def share(version, *, created_days_ago: float, lasts_days: float, **fields) -> ShareLink:
    """A link to ``version`` made ``created_days_ago`` days ago, expiring ``lasts_days`` after that."""
    location, _ = StorageLocation.objects.get_or_create(
        dataset=version.dataset,
        name="export",
        defaults={"kind": "filesystem", "path": "/srv/export.csv", "format": "csv", "subject_key": "external_id", "subject_field": "id"},
    )
    created = timezone.now() - timedelta(days=created_days_ago)
    return ShareLink.objects.create(
        version=version,
        location=location,
        recipient_name="Ada",
        recipient_organisation="Partner Labs",
        purpose="Joint study",
        created_at=created,
        expires_at=created + timedelta(days=lasts_days),
        token_hash=hash_share_token(f"token-{ShareLink.objects.count()}"),
        watermark_key_id="k1",
        **fields,
    )


def test_no_link_means_no_data(evaluate):
    assert evaluate("sharing.links_expire").status == "no_data"
    assert evaluate("sharing.no_active_expired").summary == "No share link has been issued."


def test_links_expire_passes_within_the_90_day_policy(evaluate, version):
    share(version, created_days_ago=1, lasts_days=90)
    share(version, created_days_ago=200, lasts_days=7)

    outcome = evaluate("sharing.links_expire")

    assert (outcome.status, outcome.summary) == ("pass", "0 of 2 share links have no expiry within the 90-day policy.")


def test_links_expire_fails_on_a_link_lasting_past_the_policy(evaluate, version):
    share(version, created_days_ago=1, lasts_days=30)
    endless = share(version, created_days_ago=2, lasts_days=3650)

    outcome = evaluate("sharing.links_expire")

    assert outcome.status == "fail"
    assert outcome.summary == "1 of 2 share links has no expiry within the 90-day policy."
    assert labels(outcome) == [
        f"Share of Shop customers v1 with Partner Labs (issued {on(endless.created_at)}, expires {on(endless.expires_at)})"
    ]
    assert urls(outcome) == [reverse("sharing:dataset_links", args=["shop-customers"])]


def test_no_active_expired_passes_when_downloads_came_before_the_end(evaluate, version):
    now = timezone.now()
    share(version, created_days_ago=10, lasts_days=5, download_count=1, last_downloaded_at=now - timedelta(days=6))
    share(version, created_days_ago=3, lasts_days=30, revoked_at=now - timedelta(days=1), download_count=1, last_downloaded_at=now - timedelta(days=2))
    share(version, created_days_ago=40, lasts_days=7)  # expired unused

    outcome = evaluate("sharing.no_active_expired")

    assert (outcome.status, outcome.summary) == ("pass", "0 of 3 share links served a download after its expiry or revocation.")


def test_no_active_expired_fails_on_downloads_after_expiry_or_revocation(evaluate, version):
    now = timezone.now()
    expired = share(version, created_days_ago=10, lasts_days=5, download_count=2, last_downloaded_at=now - timedelta(days=1))
    revoked = share(
        version, created_days_ago=3, lasts_days=30, revoked_at=now - timedelta(days=2), download_count=1, last_downloaded_at=now - timedelta(days=1)
    )

    outcome = evaluate("sharing.no_active_expired")

    assert outcome.status == "fail"
    assert outcome.summary == "2 of 2 share links served a download after its expiry or revocation."
    assert labels(outcome) == [
        f"Share of Shop customers v1 with Partner Labs (last downloaded {on(revoked.last_downloaded_at, with_time=True)}, "
        f"ended {on(revoked.revoked_at, with_time=True)})",
        f"Share of Shop customers v1 with Partner Labs (last downloaded {on(expired.last_downloaded_at, with_time=True)}, "
        f"ended {on(expired.expires_at, with_time=True)})",
    ]
