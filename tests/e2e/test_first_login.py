"""A new DPO's first sign-in, in a real browser: password, authenticator set-up, home, sign out."""

import base64
import re

from compliance.accounts import otp
from compliance.accounts.models import TOTPDevice
from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from tests.e2e.conftest import E2E
from tests.factories import DEFAULT_PASSWORD

pytestmark = E2E


def hex_seed(base32_secret: str) -> str:
    """Return the hex seed behind the base32 secret shown on the enrolment page."""
    compact = "".join(base32_secret.split()).upper()
    return base64.b32decode(compact + "=" * (-len(compact) % 8)).hex()


def test_a_new_dpo_signs_in_sets_up_an_authenticator_and_signs_out(browser_page, make_user):
    user = make_user(Role.DPO, username="new.dpo")
    page = browser_page.page

    page.goto("/accounts/login/")
    page.fill("input[name=username]", "new.dpo")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/accounts/mfa/enrol/"))
    assert page.locator("img.qr").is_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.fill("input[name=token]", otp.totp_now(hex_seed(secret)))
    page.get_by_role("button", name="Confirm").click()

    codes = page.locator("#backup-codes li")
    codes.first.wait_for()
    assert codes.count() == 10
    page.get_by_role("link", name="Continue").click()

    page.wait_for_url(re.compile(r"/$"))
    assert "Welcome" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Sign out").click()

    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert browser_page.problems.messages == []
    assert TOTPDevice.objects.get(user=user).confirmed
    actions = list(AuditEvent.objects.filter(target_id=str(user.pk)).values_list("action", flat=True))
    assert "mfa.enrolled" in actions
