"""Who may call the API: a usable key, or a browser session past MFA; everyone else gets 401 or 403 in JSON."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from compliance.accounts import api_keys, services
from compliance.accounts.models import ApiKey
from compliance.accounts.roles import Role
from compliance.audit.actors import SYSTEM
from compliance.audit.models import AuditEvent
from tests.compliance.api.conftest import bearer
from tests.conftest import enrol_totp, verified_client

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
NOT_VALID = {"detail": "This API key is not valid.", "code": "authentication_failed"}


def test_a_key_in_the_bearer_header_authenticates(key_client):
    client, key = key_client("registry:write", "consent:read", name="nightly pipeline")
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "type": "api_key",
        "name": "nightly pipeline",
        "scopes": ["consent:read", "registry:write"],
        "expires_at": None,
    }
    assert "no-store" in response["Cache-Control"]


def test_the_bearer_keyword_is_case_insensitive(make_key):
    _, plaintext = make_key()
    assert Client(headers={"Authorization": f"bearer {plaintext}"}).get(ME).status_code == 200


def test_without_credentials_the_answer_is_401_with_a_bearer_challenge():
    response = Client().get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "detail": "Authenticate with an API key (“Authorization: Bearer <key>”) or sign in.",
        "code": "not_authenticated",
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cus_" + "A" * 40,  # well-formed, unknown
        "Bearer cus_tooshort",
        "Bearer " + "x" * 44,
    ],
)
def test_an_unknown_key_is_401_and_not_audited(make_key, header):
    make_key()
    response = Client(headers={"Authorization": header}).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == NOT_VALID
    # Guesses are not written anywhere: a flood of them must not grow the audit log.
    assert not AuditEvent.objects.filter(action="api_key.refused").exists()


def test_a_key_one_character_off_is_refused(make_key):
    _, plaintext = make_key()
    altered = plaintext[:-1] + ("a" if plaintext[-1] != "a" else "b")
    assert bearer(altered).get(ME).json() == NOT_VALID


@pytest.mark.parametrize("header", ["Bearer", "Bearer cus_a cus_b"])
def test_a_malformed_header_says_how_to_send_the_key(header):
    response = Client(headers={"Authorization": header}).get(ME)
    assert response.status_code == 401
    assert response.json()["detail"] == "Malformed Authorization header: send “Authorization: Bearer <key>”."


def test_a_non_ascii_key_is_refused_not_a_server_error():
    response = Client(HTTP_AUTHORIZATION="Bearer cus_é".encode().decode("latin-1")).get(ME)
    assert response.status_code == 401
    assert response.json() == NOT_VALID


def test_other_schemes_are_not_taken_for_keys(make_key):
    _, plaintext = make_key()
    response = Client(headers={"Authorization": f"Basic {plaintext}"}).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_revoked_key_is_refused_and_its_use_audited(frozen_time, make_key):
    key, plaintext = make_key()
    services.revoke_api_key(actor=SYSTEM, key=key)
    response = bearer(plaintext).get(ME)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "This API key was revoked on 3 March 2025 09:00.",
        "code": "authentication_failed",
    }
    [event] = AuditEvent.objects.filter(action="api_key.refused")
    assert (event.target_type, event.target_id) == ("accounts.apikey", str(key.pk))
    assert event.data == {"reason": "revoked", "prefix": key.prefix}


def test_an_expired_key_is_refused_after_its_last_day(frozen_time, make_key):
    key, plaintext = make_key(expires_at=api_keys.end_of_day(date(2025, 3, 4)))
    client = bearer(plaintext)
    frozen_time.move_to("2025-03-04 23:59:00+00:00")
    assert client.get(ME).status_code == 200
    frozen_time.move_to("2025-03-05 00:00:01+00:00")
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["detail"] == "This API key expired on 4 March 2025 23:59."
    assert AuditEvent.objects.get(action="api_key.refused").data["reason"] == "expired"


def test_last_used_is_recorded_at_most_once_a_minute(frozen_time, make_key):
    key, plaintext = make_key()
    client = bearer(plaintext)
    assert key.last_used_at is None

    client.get(ME)
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None and first.isoformat() == "2025-03-03T09:00:00+00:00"

    frozen_time.shift(timedelta(seconds=59))
    client.get(ME)
    key.refresh_from_db()
    assert key.last_used_at == first

    frozen_time.shift(timedelta(seconds=1))
    client.get(ME)
    key.refresh_from_db()
    assert key.last_used_at.isoformat() == "2025-03-03T09:01:00+00:00"


def test_a_key_wins_over_a_session_cookie(client_for, make_key):
    client, _ = client_for(Role.DPO)
    _, plaintext = make_key(name="shop back end")
    response = client.get(ME, headers={"Authorization": f"Bearer {plaintext}"})
    assert response.json()["type"] == "api_key" and response.json()["name"] == "shop back end"


@pytest.mark.urls("tests.compliance.api.probe_urls")
def test_a_key_writes_without_csrf(make_key):
    _, plaintext = make_key("registry:write", "consent:write")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {plaintext}"})
    assert client.post(reverse("probe_scoped"), {}, content_type="application/json").status_code == 201


# --- browser sessions ---------------------------------------------------------------------------


def test_a_verified_session_is_the_user_with_their_roles(client_for):
    client, user = client_for(Role.DPO)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json() == {"type": "user", "name": user.username, "roles": ["DPO"]}


def test_a_session_that_has_not_passed_mfa_gets_403_in_json(make_user):
    user = make_user(Role.DATA_STEWARD)
    enrol_totp(user)
    client = Client()
    client.force_login(user)
    response = client.get(ME)
    assert response.status_code == 403
    assert response.json() == {"detail": "Verify your second factor first.", "code": "permission_denied"}


def test_a_session_without_enrolment_must_enrol_first(make_user):
    user = make_user(Role.AUDITOR, access_expires_on=date(2100, 1, 1))
    client = Client()
    client.force_login(user)
    assert client.get(ME).status_code == 403


def test_an_employee_without_an_authenticator_needs_no_second_factor(make_user):
    employee = make_user(Role.EMPLOYEE)
    response = verified_client(employee).get(ME)
    assert response.status_code == 200
    assert response.json() == {"type": "user", "name": employee.username, "roles": ["Employee"]}


@pytest.mark.urls("tests.compliance.api.probe_urls")
def test_session_writes_need_the_csrf_token(client_for):
    client, user = client_for(Role.DPO)
    client.handler.enforce_csrf_checks = True
    url = reverse("probe_new")

    refused = client.post(url, {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")

    token = client.get(reverse("accounts:security")).cookies["csrftoken"].value
    accepted = client.post(url, {}, content_type="application/json", headers={"X-CSRFToken": token})
    assert accepted.status_code == 201
    assert accepted.json() == {"written_by": str(user)}


def test_a_key_counts_as_authenticated_and_holds_no_model_permission(make_key):
    key, _ = make_key()
    assert key.is_authenticated and not key.is_anonymous
    assert not key.has_perm("accounts.manage_users") and not key.has_perms(["audit.view_auditevent"])
    assert isinstance(key, ApiKey)
