"""Checks of accounts: every user of a role that must pass MFA has a confirmed authenticator."""

from datetime import datetime

from django.urls import reverse

from compliance.accounts.selectors import privileged_users, privileged_users_without_mfa
from compliance.controls.checks.registry import CheckOutcome, FailingObject, check, has_have, judge, no_data, plural


@check(
    key="accounts.privileged_mfa",
    title="Privileged users have multi-factor authentication",
    description=(
        "Every active user of a role that must pass TOTP (DPO, compliance manager, auditor, data steward, "
        "ML engineer) and every administrator has a confirmed authenticator device."
    ),
)
def privileged_mfa(*, now: datetime) -> CheckOutcome:
    total = privileged_users().count()
    if total == 0:
        return no_data("No active user holds a role that requires multi-factor authentication.")
    return judge(
        privileged_users_without_mfa(),
        summary=lambda count: f"{count} of {plural(total, 'privileged user')} {has_have(count)} no confirmed authenticator.",
        entry=lambda user: FailingObject(label=user.get_username(), url=reverse("accounts:user_detail", args=[user.pk])),
    )
