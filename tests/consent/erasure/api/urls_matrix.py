"""Matrix rows for the erasure API (consent/erasure/api/urls.py)."""

from tests.consent.erasure.urls_matrix import DPO_ONLY, filed_request
from tests.permission_matrix import STAFF_READERS, UrlCase

CASES = [
    # The matrix posts an empty form: those who may file reach the body, which must be JSON (415).
    UrlCase("api:erasure_request_list", api=True, method="post", status=415, allowed=DPO_ONLY, denied=(403,)),
    UrlCase("api:erasure_request_detail", api=True, allowed=STAFF_READERS, denied=(403,), setup=filed_request),
    # The request is only received, so approving it is refused in its state (409).
    # Discovery of a received request is accepted (202) and runs in the background.
    UrlCase("api:erasure_request_discover", api=True, method="post", status=202, allowed=DPO_ONLY, denied=(403,), setup=filed_request),
    # The request is not completed, so it has no certificate yet (409).
    UrlCase("api:erasure_request_certificate", api=True, status=409, allowed=STAFF_READERS, denied=(403,), setup=filed_request),
    UrlCase("api:erasure_request_approve", api=True, method="post", status=409, allowed=DPO_ONLY, denied=(403,), setup=filed_request),
]

from tests.consent.erasure.urls_matrix import filed_access_request  # noqa: E402

CASES += [
    # An empty form: those who may file reach the body, which must be JSON (415).
    UrlCase("api:access_request_list", api=True, method="post", status=415, allowed=DPO_ONLY, denied=(403,)),
    UrlCase("api:access_request_detail", api=True, allowed=STAFF_READERS, denied=(403,), setup=filed_access_request),
    # The request is only received, so it has no archive yet (409); only the DPO may download.
    UrlCase("api:access_request_download", api=True, status=409, allowed=DPO_ONLY, denied=(403,), setup=filed_access_request),
]
