"""The account security page: authenticator status, backup codes, signed-in sessions."""

import secrets
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.accounts import otp
from compliance.accounts.models import BackupCode, UserSession
from compliance.accounts.roles import Role
from tests.compliance.accounts.conftest import events, shown_backup_codes, sign_in
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

SECURITY = "/accounts/security/"


def second_browser(user) -> tuple[Client, str]:
    """Sign ``user`` in from another browser and return it with its session key."""
    client = verified_client(user)
    return client, client.session.session_key


def test_security_page_lists_status_and_sessions(client_for):
    client, user = client_for(Role.DPO)
    other, other_key = second_browser(user)
    response = client.get(SECURITY)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Set up</span>" in content
    assert "Unused backup codes</dt>\n    <dd>0</dd>" in content
    assert "Generate new backup codes" in content
    assert "This session</span>" in content
    other_session = UserSession.objects.get(session_key=other_key)
    assert f'action="{reverse("accounts:session_end", kwargs={"pk": other_session.pk})}"' in content
    assert "End all other sessions" in content
    assert other_key not in content and client.session.session_key not in content


def test_employee_without_authenticator_is_offered_to_set_one_up(client_for):
    client, _ = client_for(Role.EMPLOYEE)
    content = client.get(SECURITY).content.decode()
    assert "Not set up (optional for your role)" in content
    assert f'href="{reverse("accounts:mfa_enrol")}"' in content
    assert "Generate new backup codes" not in content


def test_idle_sessions_are_not_listed(client_for):
    client, user = client_for(Role.EMPLOYEE)
    stale = UserSession.objects.create(
        user=user, session_key=secrets.token_hex(16), last_seen_at=timezone.now() - timedelta(minutes=31)
    )
    response = client.get(SECURITY)
    assert reverse("accounts:session_end", kwargs={"pk": stale.pk}) not in response.content.decode()


def test_regenerating_backup_codes_replaces_them_and_shows_them_once(client_for):
    client, user = client_for(Role.DPO)
    first = client.post(reverse("accounts:backup_codes_regenerate"))
    assert first["Location"] == reverse("accounts:backup_codes")
    old_hashes = set(BackupCode.objects.values_list("code_hash", flat=True))

    client.post(reverse("accounts:backup_codes_regenerate"))
    page = client.get(reverse("accounts:backup_codes"))

    assert page.status_code == 200
    content = page.content.decode()
    codes = shown_backup_codes(page)
    new_hashes = set(BackupCode.objects.values_list("code_hash", flat=True))
    assert new_hashes == {otp.hash_backup_code(code) for code in codes}
    assert len(new_hashes) == 10 and not (new_hashes & old_hashes)
    assert "The old ones no longer work." in content
    assert [event.data for event in events("mfa.backup_codes_regenerated")] == [{"count": 10}, {"count": 10}]
    assert client.get(reverse("accounts:backup_codes")).status_code == 302
    assert "Unused backup codes</dt>\n    <dd>10</dd>" in client.get(SECURITY).content.decode()


def test_regenerating_backup_codes_needs_an_authenticator(client_for):
    client, _ = client_for(Role.EMPLOYEE)
    response = client.post(reverse("accounts:backup_codes_regenerate"), follow=True)
    assert "Set up an authenticator app before generating backup codes." in response.content.decode()
    assert not BackupCode.objects.exists()
    assert not events("mfa.backup_codes_regenerated")


def test_ending_another_session_deletes_it_on_the_server(client_for):
    client, user = client_for(Role.DPO)
    other, other_key = second_browser(user)
    session = UserSession.objects.get(session_key=other_key)

    response = client.post(reverse("accounts:session_end", kwargs={"pk": session.pk}))

    assert response["Location"] == reverse("accounts:security")
    assert not Session.objects.filter(session_key=other_key).exists()
    session.refresh_from_db()
    assert session.ended_at is not None
    [event] = events("auth.session_ended")
    assert event.actor_id == str(user.pk) and event.data == {"session": session.pk}
    assert other.get(reverse("home"))["Location"].startswith(reverse("accounts:login"))
    assert client.get(reverse("home")).status_code == 200


def test_ending_the_current_session_from_the_list_is_refused(client_for):
    client, user = client_for(Role.EMPLOYEE)
    current = UserSession.objects.get(session_key=client.session.session_key)
    response = client.post(reverse("accounts:session_end", kwargs={"pk": current.pk}), follow=True)
    assert "This is the session you are using: sign out to end it." in response.content.decode()
    assert not events("auth.session_ended")


def test_a_user_cannot_end_someone_elses_session(client_for, make_user):
    client, _ = client_for(Role.DPO)
    victim = make_user(Role.DPO)
    _, victim_key = second_browser(victim)
    session = UserSession.objects.get(session_key=victim_key)

    response = client.post(reverse("accounts:session_end", kwargs={"pk": session.pk}))

    assert response.status_code == 404
    assert Session.objects.filter(session_key=victim_key).exists()
    assert not events("auth.session_ended")


def test_end_all_other_sessions_keeps_the_current_one(client_for):
    client, user = client_for(Role.DPO)
    keys = [second_browser(user)[1] for _ in range(3)]

    response = client.post(reverse("accounts:sessions_end_others"), follow=True)

    assert "Ended 3 other sessions." in response.content.decode()
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert Session.objects.filter(session_key=client.session.session_key).exists()
    assert len(events("auth.session_ended")) == 3
    assert client.get(reverse("home")).status_code == 200


def test_session_end_refuses_get(client_for):
    client, user = client_for(Role.EMPLOYEE)
    current = UserSession.objects.get(session_key=client.session.session_key)
    assert client.get(reverse("accounts:session_end", kwargs={"pk": current.pk})).status_code == 405


def test_signing_in_records_network_and_browser(make_user):
    user = make_user(Role.EMPLOYEE)
    client = Client(HTTP_USER_AGENT="Firefox/128.0", REMOTE_ADDR="203.0.113.77")
    sign_in(client, user)
    session = UserSession.objects.get(session_key=client.session.session_key)
    assert session.ip_prefix == "203.0.113.0/24"
    assert session.user_agent == "Firefox/128.0"
    content = client.get(SECURITY).content.decode()
    assert "203.0.113.0/24" in content and "Firefox/128.0" in content


def test_backup_codes_are_stored_only_as_hashes(client_for):
    client, user = client_for(Role.DPO)
    client.post(reverse("accounts:backup_codes_regenerate"))
    codes = shown_backup_codes(client.get(reverse("accounts:backup_codes")))
    stored = list(BackupCode.objects.values_list("code_hash", flat=True))
    assert sorted(stored) == sorted(otp.hash_backup_code(code) for code in codes)
    assert not any(code.replace("-", "") in hash_ for code in codes for hash_ in stored)
