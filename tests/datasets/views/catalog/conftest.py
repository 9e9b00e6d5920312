"""Clients for the dataset pages: each signed in and past MFA."""

import pytest

from compliance.audit.models import AuditEvent
from tests.conftest import verified_client


@pytest.fixture
def client_of():
    """``client_of(user)`` returns a client signed in as ``user`` with MFA verified."""
    return verified_client


@pytest.fixture
def last_event():
    """``last_event(action)`` returns the newest audit event with that action, or None."""

    def find(action: str):
        return AuditEvent.objects.filter(action=action).order_by("-sequence").first()

    return find
