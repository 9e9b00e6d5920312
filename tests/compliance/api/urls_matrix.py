"""Matrix rows for the API's own URLs (compliance/api/urls.py).

API endpoints (``api=True``) answer anonymous callers 401 and sessions that have
not passed MFA 403, in JSON. The docs page is a page for people: it redirects
like every other page.
"""

from tests.permission_matrix import EVERYONE, UrlCase

CASES = [
    UrlCase("api:root", api=True, allowed=EVERYONE),
    UrlCase("api:me", api=True, allowed=EVERYONE),
    UrlCase("api:schema", api=True, allowed=EVERYONE),
    UrlCase("api:docs", allowed=EVERYONE),
]
