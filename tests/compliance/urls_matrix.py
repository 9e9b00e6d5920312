"""Matrix rows for the shell pages (compliance/urls.py)."""

from tests.permission_matrix import EVERYONE, UrlCase

CASES = [
    UrlCase("home", allowed=EVERYONE),
    # Health is public and answers 503 here because no worker runs in the test.
    UrlCase("healthz", public=True, anonymous_status=503, status=503),
]
