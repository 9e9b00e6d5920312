"""Signing in and out: the login form, refused accounts, session keys, lockout, logout."""

from datetime import date, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.models import UserSession
from compliance.accounts.roles import Role
from tests.compliance.accounts.conftest import events, sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_login_page_shows_the_form():
    response = Client().get(reverse("accounts:login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert "Sign in</button>" in content
    assert 'class="auth-panel"' in content
    assert '<body class="auth">' in content


def test_login_url_is_stable():
    assert reverse("accounts:login") == LOGIN


def test_login_cycles_the_session_key_and_audits(make_user):
    user = make_user(Role.EMPLOYEE)
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    assert before

    response = sign_in(client, user)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    after = client.session.session_key
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert UserSession.objects.get(session_key=after).user == user
    [event] = events("auth.login")
    assert event.actor_id == str(user.pk)


def test_login_follows_a_safe_next_and_ignores_another_site(make_user):
    user = make_user(Role.EMPLOYEE)
    credentials = {"username": user.username, "password": DEFAULT_PASSWORD}
    response = Client().post(f"{LOGIN}?next=/accounts/security/", credentials)
    assert response["Location"] == "/accounts/security/"

    response = Client().post(f"{LOGIN}?next=https://evil.example.com/", credentials)
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_djangos_message_and_audits_failure(make_user):
    user = make_user(Role.EMPLOYEE)
    response = sign_in(Client(), user, password="not the password")
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    [event] = events("auth.login_failed")
    assert event.target_id == str(user.pk)
    assert "not the password" not in str(event.data)


def test_unknown_username_is_not_recorded_in_clear():
    Client().post(LOGIN, {"username": "hunter2-typed-here", "password": "whatever it is"})
    [event] = events("auth.login_failed")
    assert event.data == {"username": None, "known_account": False}


def test_inactive_account_gets_the_normal_message(make_user):
    user = make_user(Role.EMPLOYEE, is_active=False)
    response = sign_in(Client(), user)
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_access_ended_account_is_refused_with_the_date(make_user):
    ended = timezone.localdate() - timedelta(days=1)
    user = make_user(Role.AUDITOR, access_expires_on=ended)
    response = sign_in(Client(), user)
    assert response.status_code == 200
    expected = f"Your access ended on {ended.day} {ended:%B %Y}. Ask an administrator to extend it."
    assert expected in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    [event] = events("auth.login_refused")
    assert event.target_id == str(user.pk)
    assert event.data == {"reason": "access_ended"}


def test_access_ending_today_still_signs_in(make_user):
    user = make_user(Role.AUDITOR, access_expires_on=timezone.localdate())
    assert sign_in(Client(), user).status_code == 302


def test_access_ended_message_formats_the_day_without_leading_zero(make_user):
    user = make_user(Role.AUDITOR, access_expires_on=date(2024, 3, 5))
    response = sign_in(Client(), user)
    assert "Your access ended on 5 March 2024. Ask an administrator to extend it." in response.content.decode()


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("idle", "You were signed out after 30 minutes without activity."),
        ("absolute", "You were signed out: sessions last at most 12 hours."),
        ("access_ended", "Your access has ended."),
    ],
)
def test_login_page_explains_why_the_session_ended(reason, message):
    response = Client().get(f"{LOGIN}?expired={reason}")
    assert message in response.content.decode()


def test_unknown_expiry_reason_shows_nothing():
    response = Client().get(f"{LOGIN}?expired=<script>")
    assert "signed out" not in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_five_failures_lock_the_account_even_for_the_right_password(make_user):
    user = make_user(Role.EMPLOYEE)
    client = Client()
    for _ in range(5):
        sign_in(client, user, password="wrong password")

    response = sign_in(client, user)

    assert response.status_code == 429
    assert (
        "This account is locked after too many failed sign-ins from your network. "
        "Try again in 30 minutes or ask an administrator." in response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    [event, *_] = events("auth.locked_out")
    assert event.target_id == str(user.pk)
    assert event.data["network"] == "127.0.0.0/24"


def test_four_failures_do_not_lock(make_user):
    user = make_user(Role.EMPLOYEE)
    client = Client()
    for _ in range(4):
        sign_in(client, user, password="wrong password")
    assert sign_in(client, user).status_code == 302
    assert not events("auth.locked_out")


def test_logout_refuses_get(client_for):
    client, _ = client_for(Role.EMPLOYEE)
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 405


def test_logout_ends_the_session_on_the_server(make_user):
    user = make_user(Role.EMPLOYEE)
    client = Client()
    sign_in(client, user)
    session_key = client.session.session_key
    assert Session.objects.filter(session_key=session_key).exists()

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not Session.objects.filter(session_key=session_key).exists()
    assert UserSession.objects.get(session_key=session_key).ended_at is not None
    [event] = events("auth.logout")
    assert event.actor_id == str(user.pk)
    # The old cookie no longer signs anyone in.
    stale = Client()
    stale.cookies["sessionid"] = session_key
    assert stale.get(reverse("home"))["Location"].startswith(reverse("accounts:login"))
