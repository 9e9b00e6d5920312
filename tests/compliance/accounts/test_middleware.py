"""Request-wide rules: where unverified users are sent, session lifetimes, no caching."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from compliance.accounts.models import User, UserSession
from compliance.accounts.roles import Role
from tests.compliance.accounts.conftest import events, sign_in
from tests.conftest import enrol_totp, verified_client

pytestmark = pytest.mark.django_db

HOME = "/"


def signed_in(user) -> Client:
    client = Client()
    assert sign_in(client, user).status_code == 302
    return client


def redirect_of(response) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 302
    location = urlparse(response["Location"])
    return location.path, parse_qs(location.query)


# --- where a request is sent -------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login():
    path, query = redirect_of(Client().get("/accounts/security/"))
    assert path == reverse("accounts:login")
    assert query["next"] == ["/accounts/security/"]


def test_mfa_role_without_device_is_sent_to_enrolment(make_user):
    client = signed_in(make_user(Role.COMPLIANCE_MANAGER))
    path, query = redirect_of(client.get("/accounts/security/"))
    assert path == reverse("accounts:mfa_enrol")
    assert query["next"] == ["/accounts/security/"]


def test_mfa_role_with_device_but_unverified_is_sent_to_verification(make_user):
    user = make_user(Role.ML_ENGINEER)
    enrol_totp(user)
    path, query = redirect_of(signed_in(user).get(HOME))
    assert path == reverse("accounts:mfa_verify")
    assert query["next"] == [HOME]


def test_superuser_without_role_must_use_mfa(db):
    admin = User.objects.create_superuser("root", "root@staff.example.org", "correct horse battery staple 42")
    path, _ = redirect_of(signed_in(admin).get(HOME))
    assert path == reverse("accounts:mfa_enrol")


def test_employee_without_device_goes_straight_home(make_user):
    response = signed_in(make_user(Role.EMPLOYEE)).get(HOME)
    assert response.status_code == 200
    assert "Welcome" in response.content.decode()


def test_employee_with_a_confirmed_device_must_verify(make_user):
    user = make_user(Role.EMPLOYEE)
    enrol_totp(user)
    path, _ = redirect_of(signed_in(user).get(HOME))
    assert path == reverse("accounts:mfa_verify")


def test_employee_with_only_an_unconfirmed_device_is_not_stopped(make_user):
    user = make_user(Role.EMPLOYEE)
    client = signed_in(user)
    client.get(reverse("accounts:mfa_enrol"))  # starts, never confirms
    assert client.get(HOME).status_code == 200


def test_django_admin_needs_a_verified_session(db):
    admin = User.objects.create_superuser("root", "root@staff.example.org", "correct horse battery staple 42")
    enrol_totp(admin)
    path, _ = redirect_of(signed_in(admin).get("/admin/"))
    assert path == reverse("accounts:mfa_verify")
    assert verified_client(admin).get("/admin/").status_code == 200


def test_pages_are_not_cached(client_for):
    client, _ = client_for(Role.EMPLOYEE)
    assert "no-store" in client.get(HOME)["Cache-Control"]
    assert "no-store" in Client().get(reverse("accounts:login"))["Cache-Control"]


# --- session lifetime -----------------------------------------------------------------------------


def test_idle_session_ends_after_thirty_minutes(make_user, frozen_time):
    user = make_user(Role.EMPLOYEE)
    client = signed_in(user)
    key = client.session.session_key
    frozen_time.shift(timedelta(minutes=29))
    assert client.get(HOME).status_code == 200

    frozen_time.shift(timedelta(minutes=31))
    path, query = redirect_of(client.get("/accounts/security/"))

    assert path == reverse("accounts:login")
    assert query == {"expired": ["idle"], "next": ["/accounts/security/"]}
    assert not Session.objects.filter(session_key=key).exists()
    assert UserSession.objects.get(session_key=key).ended_at is not None
    [event] = events("auth.session_expired")
    assert event.actor_id == str(user.pk) and event.data == {"reason": "idle"}
    page = client.get(f"{path}?expired=idle")
    assert "You were signed out after 30 minutes without activity." in page.content.decode()


def test_an_active_session_still_ends_at_twelve_hours(make_user, frozen_time):
    user = make_user(Role.EMPLOYEE)
    client = signed_in(user)
    answers = []
    for _ in range(13 * 3):  # a request every 20 minutes for 13 hours
        frozen_time.shift(timedelta(minutes=20))
        response = client.get(HOME)
        answers.append(response.status_code)
        if response.status_code != 200:
            break

    # 36 requests reach 12:00 exactly, still inside the limit; the 37th, at 12:20, is refused.
    assert answers == [200] * 36 + [302]
    path, query = redirect_of(response)
    assert path == reverse("accounts:login") and query["expired"] == ["absolute"]
    assert [event.data for event in events("auth.session_expired")] == [{"reason": "absolute"}]


def test_an_auditor_past_their_end_date_is_signed_out_on_the_next_request(client_for):
    # Ten minutes before midnight in London (GMT in early March) on the auditor's last day.
    with time_machine.travel("2025-03-03 23:50:00+00:00", tick=False) as clock:
        client, auditor = client_for(Role.AUDITOR, access_expires_on=date(2025, 3, 3))
        # Still in: home sends the auditor on to the workspace, which answers.
        assert client.get(HOME, follow=True).redirect_chain == [(reverse("reports:workspace"), 302)]

        clock.shift(timedelta(minutes=15))
        path, query = redirect_of(client.get(HOME))

    assert path == reverse("accounts:login")
    assert query["expired"] == ["access_ended"]
    [event] = events("auth.session_expired")
    assert event.target_id == str(auditor.pk) and event.data == {"reason": "access_ended"}
    assert "Your access has ended." in Client().get(f"{path}?expired=access_ended").content.decode()


def test_an_expired_post_does_not_become_the_next_page(make_user, frozen_time):
    client = signed_in(make_user(Role.EMPLOYEE))
    frozen_time.shift(timedelta(minutes=45))
    path, query = redirect_of(client.post(reverse("accounts:sessions_end_others")))
    assert path == reverse("accounts:login")
    assert query == {"expired": ["idle"]}


def test_an_expired_session_on_the_login_page_is_not_sent_back_to_it(make_user, frozen_time):
    client = signed_in(make_user(Role.EMPLOYEE))
    frozen_time.shift(timedelta(minutes=45))
    _, query = redirect_of(client.get(reverse("accounts:login")))
    assert query == {"expired": ["idle"]}
