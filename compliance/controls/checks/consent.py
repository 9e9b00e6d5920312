"""Checks of consent: every purpose that asks for consent has a privacy notice in effect."""

from datetime import datetime

from django.urls import reverse

from compliance.controls.checks.registry import CheckOutcome, FailingObject, check, is_are, judge, no_data, plural
from consent.selectors import consent_based_purposes, consent_based_purposes_without_notice


@check(
    key="consent.notices_current",
    title="Consent-based purposes have a current privacy notice",
    description=(
        "Every active purpose that asks for consent has a privacy notice in effect now, so each consent "
        "names what the person was told (GDPR Art. 7(1), 13; CCPA notice at collection)."
    ),
)
def notices_current(*, now: datetime) -> CheckOutcome:
    total = consent_based_purposes(now=now).count()
    if total == 0:
        return no_data("No active purpose asks for consent.")
    return judge(
        consent_based_purposes_without_notice(now=now),
        summary=lambda count: f"{count} of {plural(total, 'consent-based purpose')} {is_are(count)} without a privacy notice in effect.",
        entry=lambda purpose: FailingObject(
            label=f"{purpose.name} ({purpose.code})", url=reverse("consent:purpose_detail", args=[purpose.code])
        ),
    )
