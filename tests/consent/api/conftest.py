"""Helpers for the consent API tests: API keys with chosen scopes, JSON requests, the error format."""

from tests.compliance.api.conftest import bearer, frozen_time, key_client, make_key  # noqa: F401 (fixtures)
from tests.datasets.api.conftest import errors_of, events, send  # noqa: F401 (helpers)

READER = ("consent:read",)
WRITER = ("consent:read", "consent:write")
