"""Django admin for accounts: OTP-verified sessions only, changes through services, never an OTP seed."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from compliance.accounts.models import TOTPDevice, User, UserSession
from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from tests.conftest import enrol_totp, verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root", "root@staff.example.org", DEFAULT_PASSWORD)


def test_admin_site_refuses_a_session_without_otp_even_past_the_middleware(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    superuser.is_verified = lambda: False  # what django-otp's middleware installs for a password-only session
    assert admin.site.has_permission(request) is False
    superuser.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


def test_admin_login_page_is_custos_login(db):
    response = verified_client(User.objects.create_user("x", password=DEFAULT_PASSWORD)).get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_user_admin_changes_roles_through_the_audited_service(superuser, make_user):
    client = verified_client(superuser)
    user = make_user(Role.DATA_STEWARD, username="steward.kim")
    listing = client.get(reverse("admin:accounts_user_changelist"))
    assert listing.status_code == 200 and "steward.kim" in listing.content.decode()

    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert reverse("accounts:user_detail", kwargs={"pk": user.pk}) in content
    assert 'name="username"' not in content  # names and passwords are not edited here

    auditor = Group.objects.get(name=Role.AUDITOR)
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {"groups": [auditor.pk], "access_expires_on": "2099-01-31", "is_active": "on"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert [g.name for g in user.groups.all()] == [Role.AUDITOR]
    assert str(user.access_expires_on) == "2099-01-31"
    event = AuditEvent.objects.filter(action="user.roles_changed", target_id=str(user.pk)).get()
    assert event.actor_label == "root"
    assert event.data == {"added": [Role.AUDITOR], "removed": [Role.DATA_STEWARD]}


def test_user_admin_refuses_an_auditor_without_end_date(superuser, make_user):
    client = verified_client(superuser)
    user = make_user(Role.EMPLOYEE)
    auditor = Group.objects.get(name=Role.AUDITOR)
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {"groups": [auditor.pk], "access_expires_on": "", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "Auditor accounts need an access end date." in response.content.decode()
    assert not AuditEvent.objects.filter(action="user.roles_changed").exists()


def test_user_admin_cannot_add_or_delete_and_resets_mfa_through_the_service(superuser, make_user):
    client = verified_client(superuser)
    user = make_user(Role.DPO)
    enrol_totp(user)
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    assert client.get(reverse("admin:auth_user_password_change", args=[user.pk])).status_code == 403
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_mfa_action", "_selected_action": [user.pk, superuser.pk]},
        follow=True,
    )
    content = response.content.decode()
    assert "MFA reset for 1 account(s)" in content
    assert "Not reset for root: You cannot reset your own MFA. Ask another administrator." in content
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="mfa.reset", target_id=str(user.pk)).exists()


def test_user_admin_is_closed_to_staff_without_manage_users(make_user):
    staff = make_user(None, is_staff=True)
    client = verified_client(staff)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_totp_devices_are_listed_without_their_seed(superuser, make_user):
    client = verified_client(superuser)
    device = TOTPDevice.objects.get(user=superuser)
    response = client.get(reverse("admin:accounts_totpdevice_changelist"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "root" in content
    assert device.encrypted_key not in content
    stored = TOTPDevice.objects.filter(pk=device.pk).values_list("encrypted_key", flat=True).get()
    assert stored not in content
    assert client.get(reverse("admin:accounts_totpdevice_change", args=[device.pk])).status_code == 403


def test_sessions_are_read_only(superuser):
    client = verified_client(superuser)
    session = UserSession.objects.get(user=superuser)
    assert client.get(reverse("admin:accounts_usersession_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_usersession_change", args=[session.pk])).status_code == 200
    response = client.post(reverse("admin:accounts_usersession_delete", args=[session.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert UserSession.objects.filter(pk=session.pk).exists()
