"""Helpers for the accounts tests: signing in through the real login form, frozen time."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from compliance.audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD


def sign_in(client: Client, user, password: str = DEFAULT_PASSWORD, **extra):
    """Post the login form as ``user`` and return the response."""
    return client.post(reverse("accounts:login"), {"username": user.username, "password": password}, **extra)


def events(action: str) -> list[AuditEvent]:
    """Return the audit events with ``action``, oldest first."""
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def shown_backup_codes(response) -> list[str]:
    """Return the backup codes a page shows in its #backup-codes list."""
    block = re.search(r'id="backup-codes">(.*?)</ul>', response.content.decode(), re.S).group(1)
    return re.findall(r"<li>([a-z0-9-]+)</li>", block)


@pytest.fixture
def frozen_time():
    """Freeze the clock (time.time and timezone.now) at a fixed instant; ``shift`` moves it."""
    with time_machine.travel("2025-03-03 09:00:00+00:00", tick=False) as traveller:
        yield traveller
