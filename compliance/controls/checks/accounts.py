"""Checks of accounts: every user of a role that must pass MFA has a confirmed authenticator."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from compliance.accounts.models import TOTPDevice
from compliance.accounts.roles import MFA_REQUIRED_ROLES
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
    privileged = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=[str(role) for role in MFA_REQUIRED_ROLES]) | Q(is_staff=True) | Q(is_superuser=True))
        .distinct()
        .annotate(has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
    )
    total = privileged.count()
    if total == 0:
        return no_data("No active user holds a role that requires multi-factor authentication.")
    return judge(
        privileged.filter(has_device=False).order_by("username", "pk"),
        summary=lambda count: f"{count} of {plural(total, 'privileged user')} {has_have(count)} no confirmed authenticator.",
        entry=lambda user: FailingObject(label=user.get_username(), url=reverse("accounts:user_detail", args=[user.pk])),
    )
