"""The auditor's workspace: read-only links to every register, the chain's status and signed head, assessments, reports."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditCheckpoint
from compliance.audit.services import verify_and_record
from tests.compliance.reports.dashboard_data import grow, seed
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user(Role.COMPLIANCE_MANAGER, username="manager")


@pytest.fixture
def objects(dpo, manager):
    return seed(dpo, manager)


def test_the_workspace_links_every_register_and_shows_the_chain(objects, auditor):
    content = verified_client(auditor).get(reverse("reports:workspace")).content.decode()

    for name in ("datasets:list", "models:list", "consent:purpose_list", "erasure:request_list", "erasure:access_list",
                 "controls:assessment_list", "controls:evidence_list", "controls:check_list", "audit:event_list"):
        assert f'href="{reverse(name)}' in content, name
    assert "Current head" in content and "No signed audit report yet." in content
    assert "The chain check has not run yet." in content
    # Assessments with their score and evidence, linking to the page.
    assert f'href="{reverse("controls:assessment_detail", args=[objects["assessment"].pk])}">Demo assessment</a>' in content
    assert '<td class="number">25%</td>' in content
    # Nothing to change: no form posts from here.
    assert 'method="post"' not in content.split('<main id="main"', 1)[1].split("</main>")[0]


def test_the_workspace_shows_the_last_verification(objects, auditor):
    verification = verify_and_record(actor=SystemActor("tests"), reason=AuditCheckpoint.Reason.MANUAL)
    content = verified_client(auditor).get(reverse("reports:workspace")).content.decode()
    assert verification.intact
    assert f'<span class="badge badge-ok">Intact</span> {verification.event_count} events walked' in content
    assert f"<code>{verification.head_hash}</code>" in content  # the checkpointed head


def workspace_queries(user) -> int:
    client = verified_client(user)
    client.get(reverse("reports:workspace"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("reports:workspace"))
    assert response.status_code == 200
    return len(captured)


def test_the_workspace_takes_the_same_queries_at_10_and_1000_rows(objects, auditor):
    grow(objects, 10)
    small = workspace_queries(auditor)
    grow(objects, 990)
    large = workspace_queries(auditor)
    assert small == large, f"{small} queries at 10 rows, {large} at 1,000"


def test_the_workspace_shows_the_last_signed_chain_head(objects, auditor):
    from django.utils import timezone

    from compliance.reports.models import AuditReport

    now = timezone.now()
    report = AuditReport.objects.create(
        requested_by=auditor, period_start=now.date(), period_end=now.date(), status=AuditReport.Status.DONE, progress=100,
        generated_at=now, pages=3, size=1000, sha256="a" * 64, stored_name="r.pdf", signature="sig", signing_key_id="k1",
        chain_sequence=41, chain_hash="b" * 64,
    )
    content = verified_client(auditor).get(reverse("reports:workspace")).content.decode()
    assert f"#41 <code>{'b' * 64}</code>, signed with key <code>k1</code>" in content
    assert f'href="{reverse("reports:report_detail", args=[report.pk])}">audit report #{report.pk}</a>' in content
    assert f'href="{reverse("reports:report_list")}">Audit reports</a>' in content
