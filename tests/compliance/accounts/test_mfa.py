"""TOTP enrolment, verification, replay, backup codes and throttling, through the pages."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from compliance.accounts import otp
from compliance.accounts.models import BackupCode, BackupCodeDevice, TOTPDevice
from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from tests.compliance.accounts.conftest import events, shown_backup_codes, sign_in
from tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db

ENROL = "/accounts/mfa/enrol/"
VERIFY = "/accounts/mfa/verify/"
BACKUP_CODES = "/accounts/mfa/backup-codes/"


def signed_in(user) -> Client:
    """A client that has passed the password step only."""
    client = Client()
    assert sign_in(client, user).status_code == 302
    return client


def shown_secret(response) -> str:
    match = re.search(r'id="totp-secret">([A-Z2-7]+)<', response.content.decode())
    assert match, "the enrolment page shows the secret"
    return match.group(1)


def hex_seed(secret: str) -> str:
    from base64 import b32decode

    padded = secret + "=" * (-len(secret) % 8)
    return b32decode(padded).hex()


def enrol_through_pages(client, frozen_time) -> tuple[TOTPDevice, list[str]]:
    page = client.get(ENROL)
    seed = hex_seed(shown_secret(page))
    response = client.post(ENROL, {"token": otp.totp_now(seed)})
    assert response.status_code == 302, response.content.decode()
    codes = shown_backup_codes(client.get(response["Location"]))
    return TOTPDevice.objects.get(confirmed=True), codes


# --- enrolment ------------------------------------------------------------------------


def test_enrolment_page_shows_qr_code_secret_and_form(make_user, frozen_time):
    user = make_user(Role.DPO)
    client = signed_in(user)
    response = client.get(ENROL)
    assert response.status_code == 200
    content = response.content.decode()
    assert '<img class="qr" src="data:image/svg+xml' in content
    assert 'name="token"' in content
    assert '<label for="id_token">6-digit code:</label>' in content
    assert "Confirm</button>" in content
    assert "style=" not in content
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    assert shown_secret(response) == otp.base32_secret(device.encrypted_key)
    [event] = events("mfa.enrolment_started")
    assert event.data == {"device": device.pk}


def test_reloading_enrolment_keeps_the_same_secret(make_user, frozen_time):
    client = signed_in(make_user(Role.DPO))
    first = shown_secret(client.get(ENROL))
    second = shown_secret(client.get(ENROL))
    assert first == second
    assert TOTPDevice.objects.count() == 1
    assert len(events("mfa.enrolment_started")) == 1


def test_confirming_enrolment_verifies_the_session_and_shows_backup_codes_once(make_user, frozen_time):
    user = make_user(Role.DPO)
    client = signed_in(user)
    seed = hex_seed(shown_secret(client.get(ENROL)))

    response = client.post(f"{ENROL}?next=/accounts/security/", {"token": otp.totp_now(seed), "next": "/accounts/security/"})

    assert response.status_code == 302
    assert response["Location"] == f"{BACKUP_CODES}?next=%2Faccounts%2Fsecurity%2F"
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    [event] = events("mfa.enrolled")
    assert event.data == {"device": device.pk, "backup_codes_issued": 10}

    page = client.get(response["Location"])
    assert page.status_code == 200
    codes = shown_backup_codes(page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/accounts/security/">Continue</a>' in page.content.decode()
    stored = set(BackupCode.objects.filter(device__user=user).values_list("code_hash", flat=True))
    assert stored == {otp.hash_backup_code(code) for code in codes}
    assert not any(code.replace("-", "") in str(e.data) for e in AuditEvent.objects.all() for code in codes)

    again = client.get(BACKUP_CODES)
    assert again.status_code == 302
    assert again["Location"] == reverse("accounts:security")
    follow = client.get(again["Location"])
    assert "Backup codes are shown only once. Generate new ones if you have lost them." in follow.content.decode()


def test_after_enrolment_the_user_reaches_home(make_user, frozen_time):
    client = signed_in(make_user(Role.DPO))
    enrol_through_pages(client, frozen_time)
    assert client.get(reverse("home")).status_code == 200


def test_wrong_enrolment_code_is_refused_with_a_hint(make_user, frozen_time):
    user = make_user(Role.DPO)
    client = signed_in(user)
    client.get(ENROL)
    response = client.post(ENROL, {"token": "000000"})
    assert response.status_code == 200
    assert (
        "That code is not valid. Check the time on your phone and try the current code." in response.content.decode()
    )
    assert not TOTPDevice.objects.get(user=user).confirmed
    assert DEVICE_ID_SESSION_KEY not in client.session
    [event] = events("mfa.failed")
    assert event.data == {"method": "totp", "during": "enrolment"}
    assert "000000" not in str(event.data)


def test_enrolment_with_a_confirmed_device_but_unverified_session_goes_to_verification(make_user):
    user = make_user(Role.DPO)
    enrol_totp(user)
    client = signed_in(user)
    response = client.get(f"{ENROL}?next=/accounts/security/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Faccounts%2Fsecurity%2F"
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_enrolment_when_already_verified_goes_to_the_security_page(client_for):
    client, _ = client_for(Role.DPO)
    response = client.get(ENROL)
    assert response["Location"] == reverse("accounts:security")


def test_employee_may_enrol_voluntarily_and_must_verify_afterwards(make_user, frozen_time):
    user = make_user(Role.EMPLOYEE)
    client = signed_in(user)
    assert client.get(reverse("home")).status_code == 200
    enrol_through_pages(client, frozen_time)

    again = signed_in(user)
    response = again.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


# --- verification ---------------------------------------------------------------------


def test_verify_with_a_current_code(make_user, frozen_time):
    user = make_user(Role.DPO)
    device = enrol_totp(user)
    client = signed_in(user)

    page = client.get(VERIFY)
    assert page.status_code == 200
    assert 'name="token"' in page.content.decode()

    response = client.post(VERIFY, {"token": otp.totp_now(device.encrypted_key), "next": "/accounts/security/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    [event] = events("mfa.verified")
    assert event.data == {"method": "totp"}
    assert client.get(reverse("home")).status_code == 200


def test_verify_ignores_a_next_on_another_site(make_user, frozen_time):
    user = make_user(Role.DPO)
    device = enrol_totp(user)
    client = signed_in(user)
    response = client.post(VERIFY, {"token": otp.totp_now(device.encrypted_key), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_wrong_code_fails_and_is_audited(make_user, frozen_time):
    user = make_user(Role.DPO)
    enrol_totp(user)
    client = signed_in(user)
    response = client.post(VERIFY, {"token": "123456"})
    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    [event] = events("mfa.failed")
    assert event.data == {"method": "totp"}


def test_a_totp_code_cannot_be_used_twice(make_user, frozen_time):
    user = make_user(Role.DPO)
    device = enrol_totp(user)
    code = otp.totp_now(device.encrypted_key)
    first = signed_in(user)
    assert first.post(VERIFY, {"token": code})["Location"] == reverse("home")

    frozen_time.shift(timedelta(seconds=5))  # same 30-second step, well within tolerance
    second = signed_in(user)
    response = second.post(VERIFY, {"token": code})

    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in second.session
    assert len(events("mfa.failed")) == 1


def test_the_next_time_step_is_accepted_after_a_code_was_used(make_user, frozen_time):
    user = make_user(Role.DPO)
    device = enrol_totp(user)
    assert signed_in(user).post(VERIFY, {"token": otp.totp_now(device.encrypted_key)}).status_code == 302
    frozen_time.shift(timedelta(seconds=30))
    assert signed_in(user).post(VERIFY, {"token": otp.totp_now(device.encrypted_key)}).status_code == 302


def test_a_backup_code_works_once(make_user, frozen_time):
    user = make_user(Role.DPO)
    client = signed_in(user)
    _, codes = enrol_through_pages(client, frozen_time)

    fresh = signed_in(user)
    response = fresh.post(VERIFY, {"token": codes[3]})
    assert response.status_code == 302
    assert fresh.session[DEVICE_ID_SESSION_KEY] == BackupCodeDevice.objects.get(user=user).persistent_id
    assert fresh.get(reverse("home")).status_code == 200
    assert events("mfa.verified")[-1].data == {"method": "backup_code"}

    frozen_time.shift(timedelta(seconds=5))
    again = signed_in(user)
    response = again.post(VERIFY, {"token": codes[3]})
    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert events("mfa.failed")[-1].data == {"method": "backup_code"}
    assert BackupCode.objects.filter(device__user=user, used_at__isnull=True).count() == 9


def test_backup_codes_are_accepted_without_the_dash_and_in_capitals(make_user, frozen_time):
    user = make_user(Role.DPO)
    _, codes = enrol_through_pages(signed_in(user), frozen_time)
    client = signed_in(user)
    assert client.post(VERIFY, {"token": codes[0].replace("-", "").upper()}).status_code == 302


def test_repeated_failures_are_throttled_with_a_clear_message(make_user, frozen_time):
    user = make_user(Role.DPO)
    device = enrol_totp(user)
    client = signed_in(user)
    for _ in range(3):
        client.post(VERIFY, {"token": "000001"})
        frozen_time.shift(timedelta(seconds=0.5))

    response = client.post(VERIFY, {"token": otp.totp_now(device.encrypted_key)})

    assert response.status_code == 200
    assert "Too many wrong codes. Wait a minute and try again." in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session

    frozen_time.shift(timedelta(seconds=60))
    response = client.post(VERIFY, {"token": otp.totp_now(device.encrypted_key)})
    assert response.status_code == 302


def test_verify_without_a_device_goes_to_enrolment(make_user):
    client = signed_in(make_user(Role.DPO))
    response = client.get(f"{VERIFY}?next=/accounts/security/")
    assert response["Location"] == f"{ENROL}?next=%2Faccounts%2Fsecurity%2F"


def test_verify_when_already_verified_moves_on(client_for):
    client, _ = client_for(Role.DPO)
    assert client.get(VERIFY)["Location"] == reverse("home")


def test_empty_code_is_a_form_error_not_a_failure(make_user):
    user = make_user(Role.DPO)
    enrol_totp(user)
    client = signed_in(user)
    response = client.post(VERIFY, {"token": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not events("mfa.failed")
