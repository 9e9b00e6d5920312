"""Matrix rows for the staff-training API (compliance/staff_training/api/urls.py)."""

from tests.permission_matrix import UrlCase

CASES = [
    # Statements come from the LMS with an API key: every signed-in session is refused (403).
    UrlCase("api:training_statements", api=True, method="post", allowed=frozenset(), denied=(403,)),
]
