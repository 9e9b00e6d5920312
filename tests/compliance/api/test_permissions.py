"""Scopes, and the protection a new endpoint gets without declaring anything."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from compliance.accounts.roles import Role
from compliance.api import views as api_views
from compliance.api.base import ApiView
from compliance.audit.models import AuditEvent
from tests.conftest import enrol_totp

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.compliance.api.probe_urls")]


# --- a new endpoint, as a later part would add it -------------------------------------------------


def test_a_new_endpoint_refuses_anonymous_callers_with_401():
    response = Client().get(reverse("probe_new"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "not_authenticated"


def test_a_new_endpoint_refuses_sessions_before_mfa(make_user):
    user = make_user(Role.DPO)
    enrol_totp(user)
    client = Client()
    client.force_login(user)
    for method in ("get", "post"):
        response = getattr(client, method)(reverse("probe_new"))
        assert response.status_code == 403
        assert response.json()["detail"] == "Verify your second factor first."


def test_a_new_endpoint_lets_any_key_read_but_no_key_write(key_client):
    client, key = key_client("registry:write")
    assert client.get(reverse("probe_new")).json() == {"seen_by": str(key)}
    response = client.post(reverse("probe_new"), {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"detail": "API keys cannot use POST on this endpoint.", "code": "permission_denied"}


def test_a_new_endpoint_serves_verified_sessions(client_for):
    client, user = client_for(Role.COMPLIANCE_MANAGER)
    assert client.get(reverse("probe_new")).json() == {"seen_by": str(user)}
    assert client.post(reverse("probe_new")).status_code == 201


# --- scopes ---------------------------------------------------------------------------------------


def test_a_key_without_the_scope_gets_403_naming_it(key_client):
    client, _ = key_client("consent:write")
    response = client.get(reverse("probe_scoped"))
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key lacks the scope consent:read.", "code": "permission_denied"}


def test_every_missing_scope_is_named(key_client):
    client, _ = key_client("consent:read")
    response = client.post(reverse("probe_scoped"), {}, content_type="application/json")
    assert response.json()["detail"] == "This API key lacks the scopes registry:write, consent:write."
    client, _ = key_client("consent:write", name="second")
    response = client.post(reverse("probe_scoped"), {}, content_type="application/json")
    assert response.json()["detail"] == "This API key lacks the scope registry:write."


def test_a_key_with_the_scopes_gets_through(key_client):
    client, _ = key_client("consent:read", "consent:write", "registry:write")
    assert client.get(reverse("probe_scoped")).status_code == 200
    assert client.head(reverse("probe_scoped")).status_code == 200
    assert client.post(reverse("probe_scoped"), {}, content_type="application/json").status_code == 201


def test_head_follows_get(key_client):
    client, _ = key_client("reports:read")
    assert client.head(reverse("probe_scoped")).status_code == 403


def test_an_unhandled_method_is_405_not_a_scope_refusal(key_client):
    client, _ = key_client("consent:read")
    response = client.delete(reverse("probe_scoped"))
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.', "code": "method_not_allowed"}


def test_sessions_act_with_their_roles_not_scopes(client_for):
    client, _ = client_for(Role.EMPLOYEE)
    assert client.post(reverse("probe_scoped")).status_code == 201


def test_a_refusal_is_audited_with_the_key_as_actor(key_client):
    client, key = key_client("consent:write", name="shop back end")
    client.get(reverse("probe_scoped"))
    [event] = AuditEvent.objects.filter(action="auth.permission_denied")
    assert (event.actor_type, event.actor_id, event.actor_label) == (
        "api_key",
        str(key.pk),
        f"key shop back end ({key.prefix})",
    )
    assert event.data == {
        "path": "/api/v1/probe/scoped/",
        "method": "GET",
        "reason": "This API key lacks the scope consent:read.",
    }


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"POST": ["registry:wirte"]}, "Broken.required_scopes['POST'] must list scopes from"),
        ({"POST": "registry:write"}, "Broken.required_scopes['POST'] must list scopes from"),
        ({"post": ["registry:write"]}, "Broken.required_scopes: 'post' is not an HTTP method."),
    ],
)
def test_a_misspelt_scope_declaration_fails_at_import(declared, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        type("Broken", (ApiView,), {"required_scopes": declared})
    assert str(refused.value).startswith(message)


# --- every endpoint under /api/ -------------------------------------------------------------------


def _api_views(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            yield route, pattern.callback


@pytest.mark.urls("compliance.urls")
def test_every_api_endpoint_extends_api_view():
    """A DRF view outside ApiView would miss the scope check: only the docs page (a page for people) may."""
    routes = dict(_api_views(get_resolver()))
    assert "api/v1/me/" in routes
    for route, callback in routes.items():
        view_class = callback.view_class
        assert issubclass(view_class, APIView), route
        if view_class is not api_views.DocsView:
            assert issubclass(view_class, ApiView), f"{route} must extend compliance.api.base.ApiView"
