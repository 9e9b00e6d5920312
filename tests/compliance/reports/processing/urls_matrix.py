"""Matrix rows for the record of processing (compliance/reports/processing/urls.py)."""

from tests.permission_matrix import STAFF_READERS, UrlCase

CASES = [
    # Readers of every dataset; a steward sees only some datasets, so not the organisation's record.
    UrlCase("reports:record_of_processing", allowed=STAFF_READERS, denied=(403,)),
]
