"""Matrix rows for the Exports page and downloads (compliance/reports/exports/urls.py)."""

from compliance.accounts.roles import Role
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase

EXPORTERS = STAFF_READERS | {Role.DATA_STEWARD.value}


def _audit_log(user) -> dict:
    return {"register": "audit-log", "format": "csv"}


def _datasets(user) -> dict:
    return {"register": "datasets", "format": "jsonl"}


CASES = [
    UrlCase("reports:export_list", allowed=EXPORTERS, denied=(403,)),
    # The audit log is for the DPO, managers and auditors; a steward may export only the datasets granted to them.
    UrlCase("reports:export", allowed=STAFF_READERS, denied=(404,), setup=_audit_log),
    UrlCase("reports:export", allowed=EXPORTERS | {ADMIN}, denied=(404,), setup=_datasets),
]
