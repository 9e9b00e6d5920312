"""Fixtures shared by every test: users per role, clients that have passed MFA."""

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from compliance.accounts import otp
from compliance.accounts.models import TOTPDevice
from compliance.accounts.roles import Role
from tests.factories import user_with_role


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher; tests use MD5 only to stay fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_var(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(tmp_path / "var-stores")]
    settings.EVIDENCE_ROOT = tmp_path / "evidence"


@pytest.fixture(autouse=True)
def _empty_cache(settings, tmp_path):
    # API throttling counts live in the cache, keyed by key id, and ids repeat
    # from one test to the next: without this, counts would carry over. The
    # embedded profile's file cache moves into the test's own folder, so two test
    # runs in one checkout never clear each other's counts.
    if settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": str(tmp_path / "cache")}}
    cache.clear()


def enrol_totp(user) -> TOTPDevice:
    """Give ``user`` a confirmed TOTP device (as enrolment would) and return it."""
    device = TOTPDevice(user=user, name="Authenticator", confirmed=True)
    device.encrypted_key = otp.new_totp_seed()
    device.save()
    return device


def verified_client(user) -> Client:
    """Return a client signed in as ``user`` with a verified OTP session."""
    client = Client()
    client.force_login(user)
    if user.requires_mfa:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol_totp(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def make_user(db):
    """Factory fixture: ``make_user(Role.DPO)`` returns a saved user with that role."""
    return user_with_role


@pytest.fixture
def client_for(db):
    """Factory fixture: ``client_for(Role.DPO)`` returns an MFA-verified client and its user."""

    def build(role: Role | str | None, **kwargs):
        user = user_with_role(role, **kwargs)
        return verified_client(user), user

    return build


@pytest.fixture
def dpo_client(client_for):
    return client_for(Role.DPO)[0]
