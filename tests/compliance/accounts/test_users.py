"""User management by administrators: list, create, change roles and access, reset MFA."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.models import BackupCodeDevice, TOTPDevice, User
from compliance.accounts.roles import Role
from tests.compliance.accounts.conftest import events, sign_in
from tests.conftest import enrol_totp, verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

USERS = "/accounts/users/"
NEW_USER = "/accounts/users/new/"


@pytest.fixture
def admin_client(db):
    admin = User.objects.create_superuser("admin", "admin@staff.example.org", DEFAULT_PASSWORD)
    return verified_client(admin), admin


def new_user_data(**overrides) -> dict:
    data = {
        "username": "new.auditor",
        "email": "new.auditor@auditors.example.com",
        "first_name": "Ada",
        "last_name": "Byron",
        "roles": [Role.AUDITOR.value],
        "access_expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "password": "a long and unusual passphrase 7",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def detail_data(**overrides) -> dict:
    data = {"roles": [Role.EMPLOYEE.value], "access_expires_on": "", "is_active": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- who may manage users --------------------------------------------------------------


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_roles_cannot_manage_users_and_the_refusal_is_audited(client_for, role):
    client, user = client_for(role)
    response = client.get(USERS)
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()
    [event] = events("auth.permission_denied")
    assert event.actor_id == str(user.pk) and event.data["path"] == USERS


def test_a_role_cannot_post_a_new_user(client_for):
    client, _ = client_for(Role.DPO)
    assert client.post(NEW_USER, new_user_data()).status_code == 403
    assert not User.objects.filter(username="new.auditor").exists()


# --- list -------------------------------------------------------------------------------


def test_user_list_shows_roles_mfa_access_and_active(admin_client, make_user):
    client, _ = admin_client
    auditor = make_user(Role.AUDITOR, username="ext.auditor", access_expires_on=timezone.localdate() + timedelta(days=3))
    enrol_totp(auditor)
    make_user(Role.EMPLOYEE, username="gone.employee", is_active=False)

    response = client.get(USERS)

    assert response.status_code == 200
    content = response.content.decode()
    assert f'href="{reverse("accounts:user_detail", kwargs={"pk": auditor.pk})}">ext.auditor</a>' in content
    row = content.split("ext.auditor</a>")[1].split("</tr>")[0]
    assert "Auditor" in row and "Authenticator set up" in row and "Active" in row
    assert f"{auditor.access_expires_on:%-d %b %Y}" in row
    gone = content.split("gone.employee</a>")[1].split("</tr>")[0]
    assert "Employee" in gone and "No authenticator" in gone and "Inactive" in gone


def test_user_list_searches_by_username(admin_client, make_user):
    client, _ = admin_client
    make_user(Role.EMPLOYEE, username="maria.lopez")
    make_user(Role.EMPLOYEE, username="tom.jones")
    content = client.get(USERS, {"q": "LOPEZ"}).content.decode()
    assert "maria.lopez" in content and "tom.jones" not in content
    assert "No username contains “nobody”." in client.get(USERS, {"q": "nobody"}).content.decode()


def test_user_list_paginates_and_keeps_the_search(admin_client, make_user):
    client, _ = admin_client
    for number in range(55):
        make_user(Role.EMPLOYEE, username=f"staff{number:03d}")
    content = client.get(USERS, {"q": "staff"}).content.decode()
    assert "Page 1 of 2" in content
    assert 'href="?q=staff&amp;page=2"' in content
    assert "staff054" in client.get(USERS, {"q": "staff", "page": "2"}).content.decode()
    assert client.get(USERS, {"page": "not-a-number"}).status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_user_list_costs_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries, count):
    client, _ = admin_client
    employees = Group.objects.get(name=Role.EMPLOYEE)
    users = User.objects.bulk_create(
        [User(username=f"bulk{number:04d}", email=f"bulk{number}@staff.example.org") for number in range(count)]
    )
    User.groups.through.objects.bulk_create([User.groups.through(user_id=user.pk, group_id=employees.pk) for user in users])
    # 10 before staff training; the shell's training-roster lookup (My training, the gate) is the 11th.
    with django_assert_max_num_queries(11):
        response = client.get(USERS)
    assert response.status_code == 200
    assert "bulk0000" in response.content.decode()


# --- create -------------------------------------------------------------------------------


def test_create_user_with_roles_and_end_date(admin_client):
    client, admin = admin_client
    response = client.post(NEW_USER, new_user_data())
    user = User.objects.get(username="new.auditor")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_detail", kwargs={"pk": user.pk})
    assert user.check_password("a long and unusual passphrase 7")
    assert user.role_names == {Role.AUDITOR.value}
    assert user.access_expires_on == timezone.localdate() + timedelta(days=90)
    [event] = events("user.created")
    assert event.actor_id == str(admin.pk) and event.target_id == str(user.pk)
    assert event.data == {"roles": ["Auditor"], "access_expires_on": user.access_expires_on.isoformat()}
    assert "passphrase" not in str(event.data)


def test_create_form_renders_role_checkboxes(admin_client):
    client, _ = admin_client
    content = client.get(NEW_USER).content.decode()
    assert content.count('type="checkbox" name="roles"') == len(Role)
    assert "<legend>Roles</legend>" in content
    assert '<label for="id_password">Initial password:</label>' in content


def test_auditor_needs_an_access_end_date(admin_client):
    client, _ = admin_client
    response = client.post(NEW_USER, new_user_data(access_expires_on=None))
    assert response.status_code == 200
    assert "Auditor accounts need an access end date." in response.content.decode()
    assert not User.objects.filter(username="new.auditor").exists()
    assert not events("user.created")


def test_a_new_account_cannot_start_already_ended(admin_client):
    client, _ = admin_client
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(NEW_USER, new_user_data(access_expires_on=yesterday))
    assert "The access end date cannot be in the past." in response.content.decode()
    assert not User.objects.filter(username="new.auditor").exists()


def test_weak_password_is_refused_by_djangos_validators(admin_client):
    client, _ = admin_client
    response = client.post(NEW_USER, new_user_data(password="new.auditor"))
    content = response.content.decode()
    assert "This password is too short. It must contain at least 12 characters." in content
    assert "The password is too similar to the username." in content
    assert not User.objects.filter(username="new.auditor").exists()


def test_username_must_be_unique(admin_client, make_user):
    client, _ = admin_client
    make_user(Role.EMPLOYEE, username="new.auditor")
    response = client.post(NEW_USER, new_user_data())
    assert "A user with that username already exists." in response.content.decode()


def test_unknown_role_is_a_form_error(admin_client):
    client, _ = admin_client
    response = client.post(NEW_USER, new_user_data(roles=["Superhero"]))
    assert response.status_code == 200
    assert "Select a valid choice. Superhero is not one of the available choices." in response.content.decode()


# --- detail and changes ---------------------------------------------------------------------


def test_detail_shows_the_account_and_its_form(admin_client, make_user):
    client, _ = admin_client
    user = make_user(Role.DATA_STEWARD, username="stew", first_name="Sam", last_name="Ward")
    enrol_totp(user)
    response = client.get(reverse("accounts:user_detail", kwargs={"pk": user.pk}))
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>stew</h1>" in content and "Sam Ward" in content
    assert "Authenticator set up" in content
    assert 'value="Data steward" id="id_roles_3" checked>' in content
    assert 'value="Employee" id="id_roles_5">' in content
    assert "Reset MFA</button>" in content


def test_unknown_user_is_404(admin_client):
    client, _ = admin_client
    assert client.get(reverse("accounts:user_detail", kwargs={"pk": 999999})).status_code == 404


def test_changing_roles_audits_what_was_added_and_removed(admin_client, make_user):
    client, admin = admin_client
    user = make_user(Role.EMPLOYEE)
    response = client.post(
        reverse("accounts:user_detail", kwargs={"pk": user.pk}),
        detail_data(roles=[Role.DPO.value, Role.ML_ENGINEER.value]),
    )
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).role_names == {Role.DPO.value, Role.ML_ENGINEER.value}
    [event] = events("user.roles_changed")
    assert event.actor_id == str(admin.pk) and event.target_id == str(user.pk)
    assert event.data == {"added": ["DPO", "ML engineer"], "removed": ["Employee"]}
    assert not events("user.access_changed") and not events("user.deactivated")


def test_saving_without_changes_records_nothing(admin_client, make_user):
    client, _ = admin_client
    user = make_user(Role.EMPLOYEE)
    client.post(reverse("accounts:user_detail", kwargs={"pk": user.pk}), detail_data())
    assert not events("user.roles_changed") and not events("user.access_changed")


def test_changing_the_access_end_date_is_audited(admin_client, make_user):
    client, _ = admin_client
    old = timezone.localdate() + timedelta(days=5)
    new = timezone.localdate() + timedelta(days=40)
    user = make_user(Role.AUDITOR, access_expires_on=old)
    client.post(
        reverse("accounts:user_detail", kwargs={"pk": user.pk}),
        detail_data(roles=[Role.AUDITOR.value], access_expires_on=new.isoformat()),
    )
    assert User.objects.get(pk=user.pk).access_expires_on == new
    [event] = events("user.access_changed")
    assert event.data == {"from": old.isoformat(), "to": new.isoformat()}


def test_giving_the_auditor_role_needs_an_end_date(admin_client, make_user):
    client, _ = admin_client
    user = make_user(Role.EMPLOYEE)
    response = client.post(reverse("accounts:user_detail", kwargs={"pk": user.pk}), detail_data(roles=["Auditor"]))
    assert response.status_code == 200
    assert "Auditor accounts need an access end date." in response.content.decode()
    assert User.objects.get(pk=user.pk).role_names == {Role.EMPLOYEE.value}


def test_deactivating_ends_the_sessions_and_reactivating_is_audited(admin_client, make_user):
    client, _ = admin_client
    user = make_user(Role.EMPLOYEE)
    their_browser = verified_client(user)
    their_key = their_browser.session.session_key
    url = reverse("accounts:user_detail", kwargs={"pk": user.pk})

    client.post(url, detail_data(is_active=None))

    assert not User.objects.get(pk=user.pk).is_active
    assert not Session.objects.filter(session_key=their_key).exists()
    [event] = events("user.deactivated")
    assert event.data == {"sessions_ended": 1}

    client.post(url, detail_data())
    assert User.objects.get(pk=user.pk).is_active
    assert len(events("user.reactivated")) == 1


def test_an_administrator_cannot_deactivate_themselves(admin_client):
    client, admin = admin_client
    response = client.post(reverse("accounts:user_detail", kwargs={"pk": admin.pk}), detail_data(roles=[], is_active=None))
    assert response.status_code == 200
    assert "You cannot deactivate your own account. Ask another administrator." in response.content.decode()
    assert User.objects.get(pk=admin.pk).is_active


# --- MFA reset -----------------------------------------------------------------------------------


def test_mfa_reset_removes_devices_ends_sessions_and_is_audited(admin_client, make_user):
    client, admin = admin_client
    user = make_user(Role.DPO)
    their_browser = verified_client(user)
    their_browser.post(reverse("accounts:backup_codes_regenerate"))
    their_key = their_browser.session.session_key

    response = client.post(reverse("accounts:user_mfa_reset", kwargs={"pk": user.pk}), follow=True)

    assert "they set up an authenticator at their next sign-in." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not BackupCodeDevice.objects.filter(user=user).exists()
    assert not Session.objects.filter(session_key=their_key).exists()
    [event] = events("mfa.reset")
    assert event.actor_id == str(admin.pk) and event.target_id == str(user.pk)
    assert event.data == {"authenticators_removed": 1, "backup_code_sets_removed": 1, "sessions_ended": 1}

    again = Client()
    sign_in(again, user)
    assert again.get(reverse("home"))["Location"].startswith(reverse("accounts:mfa_enrol"))


def test_reset_mfa_refuses_get(admin_client, make_user):
    client, _ = admin_client
    user = make_user(Role.DPO)
    assert client.get(reverse("accounts:user_mfa_reset", kwargs={"pk": user.pk})).status_code == 405


def test_an_administrator_cannot_reset_their_own_mfa(admin_client):
    client, admin = admin_client
    response = client.post(reverse("accounts:user_mfa_reset", kwargs={"pk": admin.pk}), follow=True)
    assert "You cannot reset your own MFA. Ask another administrator." in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin).exists()
    assert not events("mfa.reset")
