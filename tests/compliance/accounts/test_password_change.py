import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from compliance.accounts.models import UserSession
from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from tests.conftest import verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
URL = reverse("accounts:password_change")
NEW = "a much longer passphrase 2026"


def test_password_change_keeps_this_session_and_ends_the_others(make_user):
    user = make_user(Role.DPO)
    elsewhere = verified_client(user)
    client = verified_client(user)
    other_key = elsewhere.session.session_key

    response = client.post(URL, {"old_password": DEFAULT_PASSWORD, "new_password1": NEW, "new_password2": NEW})

    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")
    user.refresh_from_db()
    assert user.check_password(NEW)
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200  # still signed in here, and the list still knows this session
    assert UserSession.objects.filter(session_key=client.session.session_key, ended_at__isnull=True).exists()
    assert not Session.objects.filter(session_key=other_key).exists()
    assert UserSession.objects.get(session_key=other_key).ended_at is not None
    event = AuditEvent.objects.get(action="auth.password_changed")
    assert event.data == {"sessions_ended": 1}
    assert NEW not in str(event.data)


def test_wrong_current_password_changes_nothing(make_user):
    user = make_user(Role.EMPLOYEE)
    client = verified_client(user)
    response = client.post(URL, {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert not AuditEvent.objects.filter(action="auth.password_changed").exists()


def test_weak_new_password_is_refused_with_the_validator_message(make_user):
    client = verified_client(make_user(Role.EMPLOYEE))
    response = client.post(URL, {"old_password": DEFAULT_PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in response.content.decode()


def test_anonymous_visitor_is_sent_to_login():
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
