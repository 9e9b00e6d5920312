"""Matrix rows for the dashboard and the auditor's workspace (compliance/reports/urls_dashboard.py).

Shared with the other reports helpers: append your CASES here or keep them in a
subpackage's own ``urls_matrix.py`` (both are collected).
"""

from compliance.accounts.roles import Role
from tests.permission_matrix import ADMIN, UrlCase

DASHBOARD_READERS = frozenset({Role.DPO.value, Role.COMPLIANCE_MANAGER.value, Role.AUDITOR.value, ADMIN})
WORKSPACE_READERS = frozenset({Role.COMPLIANCE_MANAGER.value, Role.AUDITOR.value, ADMIN})

CASES = [
    UrlCase("reports:dashboard", allowed=DASHBOARD_READERS, denied=(403,)),
    UrlCase("reports:workspace", allowed=WORKSPACE_READERS, denied=(403,)),
]
