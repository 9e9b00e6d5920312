"""The manager dashboard: its figures and links, the stored summary, one score, constant queries at 10 and 1,000 rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.controls import scoring
from compliance.reports.dashboard_models import DashboardSummary
from compliance.reports.dashboard_services import refresh_dashboard_summary
from compliance.reports.dashboard_tasks import refresh_dashboard
from tests.compliance.reports.dashboard_data import grow, seed
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db
BEAT = SystemActor("beat")


@pytest.fixture
def manager(make_user):
    return make_user(Role.COMPLIANCE_MANAGER, username="manager")


@pytest.fixture
def objects(dpo, manager):
    return seed(dpo, manager)


def get_dashboard(user) -> str:
    response = verified_client(user).get(reverse("reports:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_shows_each_figure_with_a_link_to_its_list(objects, manager):
    refresh_dashboard_summary(actor=BEAT)

    content = get_dashboard(manager)

    assert "Figures as of" in content and "refreshed every 10 minutes" in content
    # Rights requests: one open GDPR erasure and access each, linked to the filtered lists.
    assert f'href="{reverse("erasure:request_list")}?status=open&amp;regulation=gdpr">1</a>' in content
    assert f'href="{reverse("erasure:access_list")}?status=open&amp;regulation=policy">1</a>' in content  # an unknown requester: internal policy
    assert f'{reverse("erasure:request_list")}?regulation=gdpr&amp;due=overdue' in content
    # Controls failing their automated check, evidence expiring.
    assert f'href="{reverse("controls:control_list")}?automated_status=failing"' in content
    assert f'href="{reverse("controls:evidence_list")}?expiry=expiring"' in content
    # Datasets by sensitivity: the bar and its table row link to the filtered register.
    assert f'href="{reverse("datasets:list")}?sensitivity=confidential&amp;status=all"' in content
    assert f'href="{reverse("datasets:list")}?missing=owner&amp;status=all"' in content
    # Consent: active consents per purpose link to the purpose.
    assert f'href="{reverse("consent:purpose_detail", args=["marketing"])}"' in content
    assert 'aria-label="Marketing emails: 1"' in content
    # Models affected, high-risk events.
    assert f'href="{reverse("models:list")}?flagged_only=on"' in content
    assert "High-risk events, last 7 days" in content
    # Accessible charts, no inline style (the CSP forbids it).
    assert 'aria-labelledby="chart-scores-title chart-scores-desc"' in content
    assert "style=" not in content


def test_the_dashboard_score_is_the_list_and_page_score(objects, manager):
    assessment = objects["assessment"]
    expected = scoring.assessment_score(assessment=assessment).percent
    client = verified_client(manager)

    dashboard = client.get(reverse("reports:dashboard")).content.decode()
    listing = client.get(reverse("controls:assessment_list")).content.decode()
    page = client.get(reverse("controls:assessment_detail", args=[assessment.pk])).content.decode()

    shown = f"{expected:g}%"
    assert expected == 25.0  # one compliant row of the demo framework's four
    assert f'<span class="figure-value">{expected}%</span>' in dashboard
    assert f'aria-label="DEMO: {shown}"' in dashboard
    assert f"<td>{shown}</td>" in listing
    assert f"<strong>{shown}</strong>" in page


def test_without_a_summary_the_page_says_when_figures_come(objects, manager):
    content = get_dashboard(manager)
    assert "The dashboard's figures have not been computed yet" in content
    assert "Compliance score per framework" in content  # live scores still show


def test_the_refresh_stores_one_summary_and_records_it(objects):
    first = refresh_dashboard_summary(actor=BEAT)
    assert refresh_dashboard() == DashboardSummary.objects.get().computed_at.isoformat()
    assert DashboardSummary.objects.count() == 1
    summary = DashboardSummary.objects.get()
    assert summary.pk == first.pk
    gdpr = next(row for row in summary.figures["rights"] if row["kind"] == "erasure" and row["regulation"] == "gdpr")
    assert (gdpr["open"], gdpr["overdue"], gdpr["completed"]) == (1, 0, 0)
    assert summary.figures["register"]["by_sensitivity"][2] == ["confidential", "Confidential", 1]
    event = AuditEvent.objects.filter(action="reports.dashboard_refreshed").latest("sequence")
    assert event.actor_label == "beat" and event.data["version"] == 1


def test_a_stale_summary_is_flagged(objects, manager):
    refresh_dashboard_summary(actor=BEAT, now=timezone.now() - timezone.timedelta(hours=2))
    assert "Refresh overdue: is the Celery beat running?" in get_dashboard(manager)


def test_high_risk_events_are_counted_and_listed_with_links(objects, manager):
    grow(objects, 3)
    refresh_dashboard_summary(actor=BEAT)
    content = get_dashboard(manager)
    latest = AuditEvent.objects.filter(action="subject.revealed").latest("sequence")
    assert f'href="{reverse("audit:event_detail", args=[latest.sequence])}">{latest.sequence}</a>' in content
    assert f'href="{reverse("audit:event_list")}?action=subject.revealed"' in content
    assert re.search(r'aria-label="Reveals: \d+"', content)


def test_a_dpo_reads_the_dashboard_but_keeps_the_card_home(make_user, objects):
    dpo = make_user(Role.DPO, username="dpo2")
    client = verified_client(dpo)
    assert client.get(reverse("reports:dashboard")).status_code == 200
    home = client.get(reverse("home"))
    assert home.status_code == 200 and b'class="cards"' in home.content


def test_the_manager_and_the_auditor_land_on_their_own_pages(manager, make_user):
    assert verified_client(manager).get(reverse("home")).url == reverse("reports:dashboard")
    auditor = make_user(Role.AUDITOR, username="auditor2")
    assert verified_client(auditor).get(reverse("home")).url == reverse("reports:workspace")


def dashboard_queries(user) -> int:
    client = verified_client(user)
    client.get(reverse("reports:dashboard"))  # warm the session and permission caches alike for both sizes
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    return len(captured)


def test_the_dashboard_takes_the_same_queries_at_10_and_1000_rows(objects, manager):
    grow(objects, 10)
    refresh_dashboard_summary(actor=BEAT)
    small = dashboard_queries(manager)
    grow(objects, 990)
    refresh_dashboard_summary(actor=BEAT)
    large = dashboard_queries(manager)
    assert small == large, f"{small} queries at 10 rows, {large} at 1,000"
    assert large <= 25


def test_the_training_panel_reads_the_training_summary_and_links_the_compliance_page(objects, manager):
    refresh_dashboard_summary(actor=BEAT)
    content = get_dashboard(manager)
    training = DashboardSummary.objects.get().figures["training"]
    assert training["in_scope_employees"] == 0
    assert f'href="{reverse("staff_training:compliance")}"' in content
    assert f'href="{reverse("staff_training:compliance")}#overdue-heading"' in content
    assert "Employees current on their training" in content


def test_the_training_share_is_shown_as_a_percentage_against_the_threshold(objects, manager, settings):
    refresh_dashboard_summary(actor=BEAT)
    summary = DashboardSummary.objects.get()
    summary.figures["training"] = {"in_scope_employees": 50, "current_employees": 41, "current_share": 0.82, "overdue_assignments": 10}
    summary.save()
    assert "82% of 50" in get_dashboard(manager)
    settings.TRAINING_CURRENT_THRESHOLD = 0.80
    assert "82% of 50" in get_dashboard(manager)
