"""Checks of share links: every link ends within the sharing policy, and none was used past its end.

A link's expiry is required by the schema and capped at MAX_SHARE_DAYS by the
service, so "a link without expiry" is one whose expiry lies further from its
creation than the policy allows (made before the cap, or around the service):
in practice it does not expire. "Active past expiry" is a link through which a
download was served at or after its expiry or its revocation.
"""

from datetime import datetime, timedelta

from django.db.models import Count, F, Q
from django.urls import reverse

from compliance.controls.checks.registry import CheckOutcome, FailingObject, check, judge, no_data, on, plural
from datasets.models import ShareLink
from datasets.services.sharing import MAX_SHARE_DAYS


def _link(link: ShareLink, note: str) -> FailingObject:
    dataset = link.version.dataset
    return FailingObject(
        label=f"Share of {dataset.name} {link.version.label} with {link.recipient_organisation} ({note})",
        url=reverse("sharing:dataset_links", args=[dataset.slug]),
    )


def _links_failing(condition: Q, *, what: tuple[str, str], note) -> CheckOutcome:
    """Fail on the links matching ``condition``; ``what`` is the predicate for one link and for several."""
    counts = ShareLink.objects.aggregate(total=Count("pk"), failing=Count("pk", filter=condition))
    if counts["total"] == 0:
        return no_data("No share link has been issued.")
    return judge(
        ShareLink.objects.filter(condition).select_related("version__dataset").order_by("-created_at", "-pk"),
        count=counts["failing"],
        summary=lambda count: f"{count} of {plural(counts['total'], 'share link')} {what[0] if count == 1 else what[1]}.",
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
        Q(expires_at__gt=F("created_at") + timedelta(days=MAX_SHARE_DAYS)),
        what=(f"has {policy}", f"have {policy}"),
        note=lambda link: f"issued {on(link.created_at)}, expires {on(link.expires_at)}",
    )


def _ended(link: ShareLink) -> datetime:
    return min(moment for moment in (link.expires_at, link.revoked_at) if moment is not None)


@check(
    key="sharing.no_active_expired",
    title="No share link is active past its expiry",
    description="No download was served through a share link at or after its expiry or its revocation.",
)
def no_active_expired(*, now: datetime) -> CheckOutcome:
    served_late = Q(last_downloaded_at__gte=F("expires_at")) | Q(revoked_at__isnull=False, last_downloaded_at__gt=F("revoked_at"))
    return _links_failing(
        served_late,
        what=("served a download after its expiry or revocation",) * 2,
        note=lambda link: f"last downloaded {on(link.last_downloaded_at, with_time=True)}, ended {on(_ended(link), with_time=True)}",
    )
