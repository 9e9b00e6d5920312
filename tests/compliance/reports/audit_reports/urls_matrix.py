"""Matrix rows for the audit-report pages (compliance/reports/urls_reports.py) and API (compliance/reports/api_urls.py).

Managers and auditors (and administrators) list, request and download reports;
the DPO and the other roles are refused. The About integrity page is for every
staff role (all but Employee). A queued report cannot be downloaded yet: the
pages send the user back to the report (302), the API answers 409.
"""

from compliance.accounts.roles import Role
from compliance.reports.models import AuditReport
from tests.permission_matrix import ADMIN, EVERYONE, UrlCase

REPORT_USERS = frozenset({Role.COMPLIANCE_MANAGER.value, Role.AUDITOR.value, ADMIN})
STAFF = EVERYONE - {Role.EMPLOYEE.value}


def queued_report(user) -> dict:
    from datetime import date

    report = AuditReport.objects.create(
        requested_by=user, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31), frameworks=[], sections=["definitions"]
    )
    return {"pk": report.pk}


CASES = [
    UrlCase("reports:report_list", allowed=REPORT_USERS),
    UrlCase("reports:report_request", allowed=REPORT_USERS),
    UrlCase("reports:report_detail", allowed=REPORT_USERS, setup=queued_report),
    UrlCase("reports:report_pdf", allowed=REPORT_USERS, status=302, setup=queued_report),
    UrlCase("reports:report_signature", allowed=REPORT_USERS, status=302, setup=queued_report),
    UrlCase("reports:integrity", allowed=STAFF),
    # The matrix posts a form-encoded empty body: the JSON-only endpoint answers 415 to those allowed.
    UrlCase("api:report_list", api=True, method="post", status=415, allowed=REPORT_USERS, denied=(403,)),
    UrlCase("api:report_detail", api=True, allowed=REPORT_USERS, denied=(403,), setup=queued_report),
    UrlCase("api:report_pdf", api=True, status=409, allowed=REPORT_USERS, denied=(403,), setup=queued_report),
    UrlCase("api:report_signature", api=True, status=409, allowed=REPORT_USERS, denied=(403,), setup=queued_report),
]
