"""Account services called directly: the refusals and guarantees the pages rely on."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.accounts import otp, services
from compliance.accounts.models import BackupCode, TOTPDevice, User
from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from tests.compliance.accounts.conftest import events
from tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db


def test_enrolment_is_refused_once_an_authenticator_is_confirmed(make_user):
    user = make_user(Role.DPO)
    enrol_totp(user)
    with pytest.raises(services.AccountActionRefused, match="Your authenticator is already set up."):
        services.begin_totp_enrolment(user=user)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_confirming_without_a_pending_authenticator_is_refused(make_user):
    user = make_user(Role.DPO)
    with pytest.raises(services.AccountActionRefused, match="Start the set-up again."):
        services.confirm_totp_enrolment(user=user, token="123456")


def test_a_failed_check_commits_its_audit_event_and_throttle_count(make_user, frozen_time):
    # The failure's audit event and the throttle counter must survive: a service
    # that raised on a wrong code would roll both back.
    user = make_user(Role.DPO)
    device = enrol_totp(user)
    assert services.verify_second_factor(user=user, token="000000") is None
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert len(events("mfa.failed")) == 1


def test_throttled_checks_raise_without_checking_the_code(make_user, frozen_time):
    user = make_user(Role.DPO)
    device = enrol_totp(user)
    services.verify_second_factor(user=user, token="000000")
    with pytest.raises(services.SecondFactorThrottled, match="Too many wrong codes. Wait a minute and try again."):
        services.verify_second_factor(user=user, token=otp.totp_now(device.encrypted_key))
    device.refresh_from_db()
    assert device.last_t == -1


def test_a_throttled_authenticator_does_not_block_backup_codes(make_user, frozen_time):
    user = make_user(Role.DPO)
    enrol_totp(user)
    codes = services.regenerate_backup_codes(user=user)
    services.verify_second_factor(user=user, token="000000")
    assert services.verify_second_factor(user=user, token=codes[0]) is not None


def test_backup_code_spent_by_one_account_does_not_work_for_another(make_user, frozen_time):
    alice, bob = make_user(Role.DPO), make_user(Role.DPO)
    enrol_totp(alice)
    enrol_totp(bob)
    alice_codes = services.regenerate_backup_codes(user=alice)
    services.regenerate_backup_codes(user=bob)
    assert services.verify_second_factor(user=bob, token=alice_codes[0]) is None
    assert BackupCode.objects.filter(device__user=alice, used_at__isnull=True).count() == 10


def test_no_code_or_seed_ever_reaches_the_audit_log(make_user, frozen_time):
    user = make_user(Role.DPO)
    device = services.begin_totp_enrolment(user=user)
    code = otp.totp_now(device.encrypted_key)
    enrolment = services.confirm_totp_enrolment(user=user, token=code)
    regenerated = services.regenerate_backup_codes(user=user)
    services.verify_second_factor(user=user, token=regenerated[0])
    services.verify_second_factor(user=user, token="999999")

    logged = json.dumps(list(AuditEvent.objects.values("data", "actor_label", "target_id")))
    secrets_seen = [device.encrypted_key, otp.base32_secret(device.encrypted_key), code]
    secrets_seen += [c.replace("-", "") for c in enrolment.backup_codes + regenerated]
    assert not [secret for secret in secrets_seen if secret in logged.replace("-", "")]


def test_validate_access_rules():
    today = timezone.localdate()
    services.validate_access(roles=["Auditor"], access_expires_on=today, creating=True)
    services.validate_access(roles=["Employee"], access_expires_on=None, creating=True)
    services.validate_access(roles=["Auditor"], access_expires_on=today - timedelta(days=3), creating=False)
    with pytest.raises(ValidationError) as missing:
        services.validate_access(roles=["Auditor", "DPO"], access_expires_on=None, creating=False)
    assert missing.value.message_dict == {"access_expires_on": ["Auditor accounts need an access end date."]}
    with pytest.raises(ValidationError) as past:
        services.validate_access(roles=[], access_expires_on=today - timedelta(days=1), creating=True)
    assert past.value.message_dict == {"access_expires_on": ["The access end date cannot be in the past."]}


def test_create_user_refuses_an_auditor_without_end_date_even_without_the_form(make_user):
    admin = User.objects.create_superuser("root", "root@staff.example.org", "x" * 20)
    with pytest.raises(ValidationError):
        services.create_user(
            actor=admin,
            username="aud",
            email="",
            first_name="",
            last_name="",
            roles=["Auditor"],
            access_expires_on=None,
            password="a long and unusual passphrase 7",
        )
    assert not User.objects.filter(username="aud").exists()
    assert not events("user.created")
