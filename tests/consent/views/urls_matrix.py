"""Matrix rows for the import pages (consent/views/imports.py, routed in consent/urls.py).

Readers of consent records follow imports; only the DPO (and an administrator)
uploads, which the matrix probes with GET, the page everyone allowed sees.
"""

from tests.consent.api.urls_matrix import _import
from tests.permission_matrix import STAFF_READERS, UrlCase

CASES = [
    UrlCase("consent:import_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("consent:import_detail", allowed=STAFF_READERS, denied=(403,), setup=_import),
    UrlCase("consent:import_progress", allowed=STAFF_READERS, denied=(403,), setup=_import),
    UrlCase("consent:import_errors", allowed=STAFF_READERS, denied=(403,), setup=_import),
]
