"""Writes about share links: issuing, revoking, counting downloads, and tracing a leaked copy."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from compliance.audit.services import record_event
from compliance.crypto.keyring import get_keyring
from datasets import permissions
from datasets.models import DatasetVersion, LocationKind, ShareLink, ShareState, StorageLocation
from datasets.models.sharing import MAX_SHARE_DAYS, hash_share_token
from datasets.services.common import FieldErrors, clean_number, clean_text
from datasets.services.errors import RegistryActionRefused, ShareLinkUnavailable
from datasets.services.locations import require_changeable
from datasets.watermark import WATERMARKED_FORMATS, LeakMatch, derived_key_text, find_leak_sources

TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedShareLink:
    """A new link and its token: show the token to the person once, it is not stored."""

    link: ShareLink
    token: str


def _when(moment: datetime) -> str:
    return format_date(timezone.localtime(moment), "j F Y, H:i")


def _file_location(version: DatasetVersion, location: StorageLocation | None) -> StorageLocation:
    dataset = version.dataset
    if location is None:
        candidates = list(dataset.locations.filter(kind=LocationKind.FILESYSTEM))
        if not candidates:
            raise ValidationError(
                {"location": [f"Share links are for file-based datasets: {dataset.slug!r} has no filesystem location."]}
            )
        if len(candidates) > 1:
            raise ValidationError(
                {"location": [f"Dataset {dataset.slug!r} has {len(candidates)} filesystem locations: choose the one to share."]}
            )
        location = candidates[0]
    if location.dataset_id != dataset.pk or location.kind != LocationKind.FILESYSTEM:
        raise ValidationError({"location": [f"Choose a filesystem location of dataset {dataset.slug!r}."]})
    if location.format not in WATERMARKED_FORMATS:
        raise ValidationError(
            {
                "location": [
                    f"Shared copies carry a watermark, which Custos adds to CSV and JSON Lines files;"
                    f" {location.name!r} is {location.get_format_display()}."
                ]
            }
        )
    if not Path(location.path).is_file():
        raise ValidationError({"location": [f"{location.path} is not a file Custos can read, so it cannot be shared."]})
    return location


@transaction.atomic
def create_share_link(
    *,
    actor,
    version: DatasetVersion,
    recipient_name: str,
    recipient_organisation: str,
    purpose: str,
    expires_at: datetime,
    max_downloads: int | None = None,
    location: StorageLocation | None = None,
) -> IssuedShareLink:
    """Issue a link through which one recipient downloads the version's file, watermarked for them.

    ``location`` is the dataset's filesystem location to share (needed only
    when there are several). Returns the link and its token, shown once.
    """
    require_changeable(actor, version.dataset, doing="sharing it")
    errors = FieldErrors()
    now = timezone.now()
    recipient_name = errors.check("recipient_name", lambda: clean_text(recipient_name, label="recipient's name", max_length=200, required=True), "")
    organisation = errors.check(
        "recipient_organisation",
        lambda: clean_text(recipient_organisation, label="recipient's organisation", max_length=200, required=True),
        "",
    )
    purpose = errors.check("purpose", lambda: clean_text(purpose, label="purpose of the share", max_length=5_000, required=True), "")
    if not isinstance(expires_at, datetime) or timezone.is_naive(expires_at):
        errors.add("expires_at", "Give the expiry as a date and time with its time zone.")
    elif expires_at <= now:
        errors.add("expires_at", "The expiry must be in the future.")
    elif expires_at > now + timedelta(days=MAX_SHARE_DAYS):
        errors.add(
            "expires_at",
            f"A share link lasts at most {MAX_SHARE_DAYS} days: choose an expiry before {_when(now + timedelta(days=MAX_SHARE_DAYS))}.",
        )
    limit = errors.check("max_downloads", lambda: clean_number(max_downloads, label="download limit", minimum=1, whole=True))
    location = errors.collect(lambda: _file_location(version, location))
    errors.raise_if_any()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink.objects.create(
        version=version,
        location=location,
        recipient_name=recipient_name,
        recipient_organisation=organisation,
        purpose=purpose,
        expires_at=expires_at,
        max_downloads=limit,
        token_hash=hash_share_token(token),
        watermark_key_id=get_keyring().active.key_id,
        watermark_key=derived_key_text(get_keyring().active.key_id),
        created_by=actor if permissions.is_person(actor) else None,
        created_at=now,
    )
    record_event(
        actor=actor,
        action="share_link.created",
        target=link,
        data={
            "dataset": version.dataset.slug,
            "version": version.pk,
            "location": str(location.pk),
            "recipient_organisation": organisation,
            "purpose": purpose,
            "expires_at": expires_at,
            "max_downloads": limit,
        },
    )
    return IssuedShareLink(link=link, token=token)


@transaction.atomic
def revoke_share_link(*, actor, link: ShareLink, reason: str = "") -> ShareLink:
    """End the link now: every later download is refused."""
    permissions.require(
        actor,
        lambda user: permissions.can_change_dataset(user, link.version.dataset),
        f"You may not edit dataset {link.version.dataset.slug!r}.",
    )
    link = ShareLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is not None:
        raise RegistryActionRefused(f"This share link was already revoked on {_when(link.revoked_at)}.")
    link.revoked_at = timezone.now()
    link.revoked_by = actor if permissions.is_person(actor) else None
    link.save(update_fields=["revoked_at", "revoked_by"])
    record_event(
        actor=actor,
        action="share_link.revoked",
        target=link,
        data={"version": link.version_id, "reason": clean_text(reason, label="reason", max_length=5_000)},
    )
    return link


def unavailable_message(link: ShareLink, state: str) -> str:
    """Return what a recipient is told about a dead link."""
    if state == ShareState.REVOKED:
        return f"This share link was revoked on {_when(link.revoked_at)}."
    if state == ShareState.EXPIRED:
        return f"This share link expired on {_when(link.expires_at)}."
    return f"This share link has been used for all of its {link.max_downloads} downloads."


@transaction.atomic
def record_share_download(*, link: ShareLink) -> ShareLink:
    """Count one download through the link and audit it; refuse (ShareLinkUnavailable) when the link is dead.

    The recipient is anonymous: the event carries the link, not a person.
    """
    link = ShareLink.objects.select_for_update().get(pk=link.pk)
    now = timezone.now()
    state = link.state_at(now)
    if state != ShareState.ACTIVE:
        raise ShareLinkUnavailable(unavailable_message(link, state), state=state)
    link.download_count += 1
    link.last_downloaded_at = now
    link.save(update_fields=["download_count", "last_downloaded_at"])
    record_event(
        actor=AnonymousUser(),
        action="share_link.downloaded",
        target=link,
        data={
            "version": link.version_id,
            "recipient_organisation": link.recipient_organisation,
            "download": link.download_count,
            "downloads_left": link.downloads_left,
        },
    )
    return link


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@transaction.atomic
def trace_leak(*, actor, path: Path) -> list[LeakMatch]:
    """Name the share links whose canary rows appear in the file at ``path``, and audit the search.

    Raises ``datasets.watermark.UnreadableFile`` for a file that is not CSV or
    JSON Lines, OSError when it cannot be read.
    """
    links = ShareLink.objects.select_related("version__dataset").order_by("created_at", "pk")
    matches = find_leak_sources(path, links.iterator())
    record_event(
        actor=actor,
        action="share_link.leak_traced",
        data={"file_sha256": _file_sha256(path), "matches": [str(match.link.pk) for match in matches]},
    )
    return matches
