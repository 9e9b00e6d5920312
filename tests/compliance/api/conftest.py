"""Helpers for the API tests: keys with chosen scopes and clients that send them."""

import pytest
import time_machine
from django.test import Client

from compliance.accounts import services
from compliance.audit.actors import SYSTEM


def bearer(plaintext: str) -> Client:
    """Return a client sending ``Authorization: Bearer <plaintext>`` with every request."""
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


@pytest.fixture
def make_key(db):
    """Factory fixture: ``make_key("consent:read", name=...)`` returns (ApiKey, plaintext)."""

    def build(*scopes: str, name: str = "pipeline", **kwargs):
        return services.create_api_key(actor=SYSTEM, name=name, scopes=list(scopes) or ["consent:read"], **kwargs)

    return build


@pytest.fixture
def key_client(make_key):
    """Factory fixture: ``key_client("registry:write")`` returns (client, key) for a new key with those scopes."""

    def build(*scopes: str, **kwargs):
        key, plaintext = make_key(*scopes, **kwargs)
        return bearer(plaintext), key

    return build


@pytest.fixture
def frozen_time():
    """Freeze the clock at a fixed instant; ``move_to`` moves it."""
    with time_machine.travel("2025-03-03 09:00:00+00:00", tick=False) as traveller:
        yield traveller
