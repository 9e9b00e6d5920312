"""Run the role × permission matrix over every URL of the project (see permission_matrix)."""

import importlib
import pkgutil
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from tests.conftest import enrol_totp, verified_client
from tests.factories import user_with_role
from tests.permission_matrix import ADMIN, ALL_ROLES, UrlCase

# Django admin has its own test (it refuses sessions that have not passed OTP).
UNCHECKED_NAMESPACES = {"admin"}


def collect_cases() -> list[UrlCase]:
    cases = []
    for module in pkgutil.walk_packages(tests.__path__, prefix="tests."):
        if module.name.endswith(".urls_matrix"):
            cases.extend(importlib.import_module(module.name).CASES)
    return cases


def project_url_names(resolver=None, namespace="") -> set[str]:
    names = set()
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns in UNCHECKED_NAMESPACES:
                continue
            prefix = f"{namespace}{ns}:" if ns else namespace
            names |= project_url_names(pattern, prefix)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None:
                # Only the admin-login redirect is unnamed on purpose.
                if str(pattern.pattern) != "admin/login/":
                    names.add(f"<unnamed {pattern.pattern}>")
                continue
            names.add(f"{namespace}{pattern.name}")
    return names


CASES = collect_cases()


def test_every_url_is_in_the_matrix():
    listed = {case.url_name for case in CASES}
    missing = sorted(project_url_names() - listed)
    assert not missing, f"URLs missing from the permission matrix (add them to tests/<app>/urls_matrix.py): {missing}"
    stale = sorted(listed - project_url_names())
    assert not stale, f"Matrix rows for URLs that no longer exist: {stale}"


def _make_user(role: str):
    if role == ADMIN:
        return user_with_role(None, is_staff=True, is_superuser=True)
    return user_with_role(role)


def _url(case: UrlCase, user) -> str:
    kwargs = case.setup(user) if case.setup else {}
    return reverse(case.url_name, kwargs=kwargs or None)


def _request(client: Client, case: UrlCase, url: str):
    return getattr(client, case.method)(url)


def _ids(case: UrlCase) -> str:
    return case.url_name


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_anonymous_visitor_is_sent_to_login(case):
    anyone = _make_user(ADMIN)
    url = _url(case, anyone)
    response = _request(Client(), case, url)
    if case.public:
        expected = case.anonymous_status or case.status
        assert response.status_code == expected
        return
    if case.api:
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        return
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("accounts:login")


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if not c.public and not c.mfa_exempt], ids=_ids)
def test_unverified_session_is_sent_to_mfa(case):
    user = _make_user(ADMIN)
    enrol_totp(user)
    client = Client()
    client.force_login(user)  # signed in with a password, no TOTP yet
    response = _request(client, case, _url(case, user))
    if case.api:
        assert response.status_code == 403
        assert response.json()["detail"] == "Verify your second factor first."
        return
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("accounts:mfa_verify")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("case", [c for c in CASES if not c.public], ids=_ids)
def test_role_gets_expected_answer(case, role):
    user = _make_user(role)
    client = verified_client(user)
    response = _request(client, case, _url(case, user))
    if role in case.allowed and role in case.redirects:
        assert response.status_code == 302, f"{role} should be sent from {case.url_name} to {case.redirects[role]}"
        assert response["Location"] == reverse(case.redirects[role])
    elif role in case.allowed:
        assert response.status_code == case.status, f"{role} should get {case.status} from {case.url_name}"
    else:
        assert response.status_code in case.denied, f"{role} should be refused {case.url_name}"
