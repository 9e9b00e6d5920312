"""The role × permission matrix every URL joins.

Each app lists its URLs in ``tests/<app>/urls_matrix.py`` as ``CASES``, a list of
``UrlCase``. ``tests/test_permission_matrix.py`` collects them all, fails if any
URL of the project is missing, and checks for every case:

* an anonymous visitor is sent to the login page (unless the URL is public);
  an API endpoint (``api=True``) answers 401 with a Bearer challenge instead;
* a signed-in user who has not passed TOTP is sent to verification (unless the
  URL is MFA-exempt); an API endpoint answers 403 in JSON instead;
* each role (and an administrator) gets the expected answer: ``status`` when
  allowed, 403 or 404 when not.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from compliance.accounts.roles import Role

ADMIN = "Administrator"  # a superuser, who also passes MFA
ALL_ROLES = (*[role.value for role in Role], ADMIN)
STAFF_READERS = frozenset({Role.DPO.value, Role.COMPLIANCE_MANAGER.value, Role.AUDITOR.value, ADMIN})
EVERYONE = frozenset(ALL_ROLES)


@dataclass(frozen=True)
class UrlCase:
    """How one named URL answers each role.

    ``allowed``: roles that get ``status`` on GET (everyone else gets one of
    ``denied``). ``setup(user)`` may create objects and returns the URL kwargs;
    it receives the requesting user so "own object" URLs can be expressed.
    ``public``: reachable signed out (login, health). ``mfa_exempt``: reachable
    signed in before TOTP verification (enrolment, verification, logout).
    ``method``: the method the matrix probes with (POST-only URLs use "post").
    ``api``: a REST endpoint under /api/, which answers in JSON rather than redirecting.
    ``redirects``: allowed roles that get a 302 to the named URL instead of ``status``.
    """

    url_name: str
    allowed: frozenset[str] = EVERYONE
    status: int = 200
    denied: tuple[int, ...] = (403, 404)
    setup: Callable | None = None
    public: bool = False
    mfa_exempt: bool = False
    method: str = "get"
    anonymous_status: int | None = None  # for public URLs: what a visitor gets
    api: bool = False
    # Roles sent elsewhere instead (role -> the URL name they are redirected to), e.g. a role's own home page.
    redirects: dict[str, str] = field(default_factory=dict, compare=False)
    notes: str = field(default="", compare=False)
