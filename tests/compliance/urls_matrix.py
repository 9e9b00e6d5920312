"""Matrix rows for the shell pages (compliance/urls.py)."""

from compliance.accounts.roles import Role
from tests.permission_matrix import EVERYONE, UrlCase

CASES = [
    # Managers land on their dashboard, auditors on their workspace; everyone else gets the card home.
    UrlCase(
        "home",
        allowed=EVERYONE,
        redirects={Role.COMPLIANCE_MANAGER.value: "reports:dashboard", Role.AUDITOR.value: "reports:workspace"},
    ),
    # Health is public and answers 503 here because no worker runs in the test.
    UrlCase("healthz", public=True, anonymous_status=503, status=503),
]
