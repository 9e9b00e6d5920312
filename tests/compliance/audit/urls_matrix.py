"""Matrix rows for the audit-log pages (compliance/audit/urls.py)."""

from compliance.audit.services import record_event
from tests.permission_matrix import STAFF_READERS, UrlCase


def _an_event(user) -> dict:
    return {"sequence": record_event(actor=user, action="test.matrix").sequence}


CASES = [
    UrlCase("audit:event_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("audit:event_detail", allowed=STAFF_READERS, denied=(403,), setup=_an_event),
    # Verifying redirects back to the log with the outcome as a message.
    UrlCase("audit:verify", allowed=STAFF_READERS, denied=(403,), method="post", status=302),
]
