"""Django admin for accounts: OTP-verified sessions only, read-only, never an OTP seed."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from compliance.accounts.models import TOTPDevice, User, UserSession
from compliance.accounts.roles import Role
from tests.conftest import verified_client
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


def test_user_admin_is_read_only_and_points_to_the_app(superuser, make_user):
    client = verified_client(superuser)
    user = make_user(Role.AUDITOR, username="ext.auditor")
    listing = client.get(reverse("admin:accounts_user_changelist"))
    assert listing.status_code == 200
    assert "ext.auditor" in listing.content.decode() and "Auditor" in listing.content.decode()

    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert reverse("accounts:user_detail", kwargs={"pk": user.pk}) in content
    assert 'name="groups"' not in content and 'name="is_active"' not in content
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), {"username": "renamed"})
    assert response.status_code == 403
    assert User.objects.get(pk=user.pk).username == "ext.auditor"


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
