"""Fixtures for the audit-report tests: report storage per test, a manager, a framework with an assessment and evidence."""

import pytest

from compliance.accounts.roles import Role
from compliance.controls.models import Framework
from compliance.reports import services
from tests.compliance.controls.conftest import load, make_assessment, requirement, upload

ALL_SECTIONS = ["summary", "frameworks", "rights", "consent", "datasets", "models", "training", "audit", "definitions"]


@pytest.fixture(autouse=True)
def _report_root(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "reports"


@pytest.fixture
def sent_tasks(monkeypatch):
    """Record the tasks the reports services send by name (instead of reaching a broker)."""
    sent = []
    monkeypatch.setattr(services.current_app, "send_task", lambda name, args=(), **options: sent.append((name, list(args))))
    return sent


@pytest.fixture
def manager(make_user):
    return make_user(Role.COMPLIANCE_MANAGER, username="manager")


@pytest.fixture
def framework(db) -> Framework:
    """The controls tests' demo framework, with an assessment under way and one piece of evidence."""
    load()
    return Framework.objects.get(code="demo")


@pytest.fixture
def assessed(framework, manager):
    """An assessment of the demo framework covering every period, with evidence linked to one requirement."""
    assessment = make_assessment(framework, manager)
    target = assessment.items.select_related("requirement").first().requirement
    evidence = upload(manager, requirements=[target], title="Encryption policy v3")
    return assessment, evidence


def request(actor, **overrides):
    """Request a report of 2026 with every section and the demo framework, as ``actor``."""
    from datetime import date

    values = {
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 12, 31),
        "frameworks": ["demo"],
        "sections": list(ALL_SECTIONS),
        **overrides,
    }
    return services.request_report(actor=actor, **values)


__all__ = ["requirement", "request", "ALL_SECTIONS"]
