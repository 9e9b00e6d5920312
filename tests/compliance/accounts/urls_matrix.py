"""Matrix rows for the accounts URLs (compliance/accounts/urls.py)."""

import secrets

from compliance.accounts import services
from compliance.accounts.models import UserSession
from compliance.accounts.roles import Role
from compliance.audit.actors import SYSTEM
from tests.factories import user_with_role
from tests.permission_matrix import ADMIN, EVERYONE, UrlCase

MANAGERS = frozenset({ADMIN})
KEY_MANAGERS = frozenset({ADMIN, Role.DPO.value})


def another_user(user) -> dict:
    return {"pk": user_with_role(Role.EMPLOYEE).pk}


def api_key(user) -> dict:
    key, _ = services.create_api_key(actor=SYSTEM, name=f"matrix {secrets.token_hex(4)}", scopes=["consent:read"])
    return {"pk": key.pk}


def own_other_session(user) -> dict:
    session = UserSession.objects.create(user=user, session_key=secrets.token_hex(16))
    return {"pk": session.pk}


CASES = [
    UrlCase("accounts:login", public=True, status=200),
    # Signed-in or not, logout answers with a redirect to the sign-in page.
    UrlCase("accounts:logout", method="post", mfa_exempt=True, status=302),
    # Already enrolled and verified: enrolment sends the user to the security page.
    # An Employee without an authenticator may enrol voluntarily and sees the page.
    UrlCase("accounts:mfa_enrol", mfa_exempt=True, allowed=frozenset({Role.EMPLOYEE.value}), status=200,
            denied=(302,), notes="others are already enrolled: 302 to the security page"),
    # Verified users are sent on to home; Employees without an authenticator to enrolment.
    UrlCase("accounts:mfa_verify", mfa_exempt=True, status=302),
    # Without freshly generated codes the page sends the user to the security page.
    UrlCase("accounts:backup_codes", mfa_exempt=True, status=302),
    UrlCase("accounts:backup_codes_regenerate", method="post", status=302),
    UrlCase("accounts:security", allowed=EVERYONE),
    UrlCase("accounts:password_change", allowed=EVERYONE),
    UrlCase("accounts:session_end", method="post", status=302, setup=own_other_session),
    UrlCase("accounts:sessions_end_others", method="post", status=302),
    UrlCase("accounts:user_list", allowed=MANAGERS, denied=(403,)),
    UrlCase("accounts:user_create", allowed=MANAGERS, denied=(403,)),
    UrlCase("accounts:user_detail", allowed=MANAGERS, denied=(403,), setup=another_user),
    UrlCase("accounts:user_mfa_reset", allowed=MANAGERS, status=302, denied=(403,), method="post", setup=another_user),
    UrlCase("accounts:api_key_list", allowed=KEY_MANAGERS, denied=(403,)),
    UrlCase("accounts:api_key_create", allowed=KEY_MANAGERS, denied=(403,)),
    UrlCase("accounts:api_key_revoke", allowed=KEY_MANAGERS, status=302, denied=(403,), method="post", setup=api_key),
]
