"""Checks of share links: every link ends within the sharing policy, and none was used past its end.

A link's expiry is required by the schema and capped at MAX_SHARE_DAYS by the
service, so "a link without expiry" is one whose expiry lies further from its
creation than the policy allows (made before the cap, or around the service):
in practice it does not expire. "Active past expiry" is a link through which a
download was served at or after its expiry or its revocation.
"""

from collections.abc import Callable
from datetime import datetime

from django.db.models import QuerySet
from django.urls import reverse

from compliance.controls.checks.registry import CheckOutcome, FailingObject, check, judge, no_data, on, plural
from datasets.compliance_selectors import (
    MAX_SHARE_DAYS,
    Tally,
    share_links_outlasting_policy,
    share_links_outlasting_policy_tally,
    share_links_served_after_end,
    share_links_served_after_end_tally,
)


def _link(link, note: str) -> FailingObject:
    dataset = link.version.dataset
    return FailingObject(
        label=f"Share of {dataset.name} {link.version.label} with {link.recipient_organisation} ({note})",
        url=reverse("sharing:dataset_links", args=[dataset.slug]),
    )


def _links_failing(tally: Tally, failing: QuerySet, *, what: tuple[str, str], note: Callable) -> CheckOutcome:
    """Fail on the ordered links ``failing`` (``tally`` counts them and all links); ``what`` is the predicate for one link and for several."""
    if tally.total == 0:
        return no_data("No share link has been issued.")
    return judge(
        failing,
        count=tally.failing,
        summary=lambda count: f"{count} of {plural(tally.total, 'share link')} {what[0] if count == 1 else what[1]}.",
        entry=lambda link: _link(link, note(link)),
    )


@check(
    key="sharing.links_expire",
    title="Every share link expires",
    description=f"Every share link expires within {MAX_SHARE_DAYS} days of being issued, the sharing policy's limit.",
)
def links_expire(*, now: datetime) -> CheckOutcome:
    policy = f"no expiry within the {MAX_SHARE_DAYS}-day policy"
    return _links_failing(
        share_links_outlasting_policy_tally(),
        share_links_outlasting_policy(),
        what=(f"has {policy}", f"have {policy}"),
        note=lambda link: f"issued {on(link.created_at)}, expires {on(link.expires_at)}",
    )


def _ended(link) -> datetime:
    return min(moment for moment in (link.expires_at, link.revoked_at) if moment is not None)


@check(
    key="sharing.no_active_expired",
    title="No share link is active past its expiry",
    description="No download was served through a share link at or after its expiry or its revocation.",
)
def no_active_expired(*, now: datetime) -> CheckOutcome:
    return _links_failing(
        share_links_served_after_end_tally(),
        share_links_served_after_end(),
        what=("served a download after its expiry or revocation",) * 2,
        note=lambda link: f"last downloaded {on(link.last_downloaded_at, with_time=True)}, ended {on(_ended(link), with_time=True)}",
    )
