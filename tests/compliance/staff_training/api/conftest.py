"""API-key fixtures shared with the kernel's API tests."""

from tests.compliance.api.conftest import key_client, make_key  # noqa: F401
