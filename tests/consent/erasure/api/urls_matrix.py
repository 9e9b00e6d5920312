"""Matrix rows for the erasure API (consent/erasure/api/urls.py)."""

from tests.consent.erasure.urls_matrix import DPO_ONLY, filed_request
from tests.permission_matrix import STAFF_READERS, UrlCase

CASES = [
    # The matrix posts an empty form: those who may file reach the body, which must be JSON (415).
    UrlCase("api:erasure_request_list", api=True, method="post", status=415, allowed=DPO_ONLY, denied=(403,)),
    UrlCase("api:erasure_request_detail", api=True, allowed=STAFF_READERS, denied=(403,), setup=filed_request),
    # The request is only received, so approving it is refused in its state (409).
    UrlCase("api:erasure_request_approve", api=True, method="post", status=409, allowed=DPO_ONLY, denied=(403,), setup=filed_request),
]
