"""Requesting an audit report: validation messages a person reads, the audit event, the task sent by name after commit."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.accounts import services as account_services
from compliance.audit.actors import SYSTEM
from compliance.audit.models import AuditEvent
from compliance.reports.models import AuditReport
from tests.compliance.reports.audit_reports.conftest import ALL_SECTIONS, request

pytestmark = pytest.mark.django_db


def _errors(actor, **overrides) -> dict:
    with pytest.raises(ValidationError) as refused:
        request(actor, **overrides)
    return refused.value.message_dict


def test_a_request_is_queued_audited_and_sent_by_name_after_commit(framework, auditor, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = request(auditor, sections=["audit", "summary", "audit"])
        assert sent_tasks == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()
    assert sent_tasks == [("reports.generate_report", [report.pk])]
    assert report.status == AuditReport.Status.QUEUED and report.progress == 0
    assert report.sections == ["summary", "audit"]  # the report's order, each once
    event = AuditEvent.objects.get(action="report.requested")
    assert (event.actor_label, event.target_id) == ("auditor", str(report.pk))
    assert event.data == {
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "frameworks": ["demo"],
        "sections": ["summary", "audit"],
    }


def test_a_period_that_ends_before_it_starts_is_refused_with_both_dates(framework, manager):
    errors = _errors(manager, period_start=date(2026, 6, 1), period_end=date(2026, 5, 31))

    assert errors == {"period_end": ["The period ends (2026-05-31) before it starts (2026-06-01)."]}
    assert not AuditReport.objects.exists()
    assert not AuditEvent.objects.filter(action="report.requested").exists()


def test_a_period_starting_in_the_future_is_refused(framework, manager):
    tomorrow = timezone.localdate() + timedelta(days=1)

    errors = _errors(manager, period_start=tomorrow, period_end=tomorrow)

    assert errors == {
        "period_start": [f"The period starts in the future ({tomorrow.isoformat()}); today is {timezone.localdate().isoformat()}."]
    }


def test_unknown_frameworks_and_sections_are_named_with_the_known_ones(framework, manager):
    errors = _errors(manager, frameworks=["demo", "sox", "pci"], sections=["summary", "appendix"])

    assert errors == {
        "frameworks": ["Unknown frameworks: pci, sox. Known: demo."],
        "sections": ["Unknown section: appendix. Known: " + ", ".join(ALL_SECTIONS) + "."],
    }


def test_empty_choices_and_non_lists_are_refused(framework, manager):
    errors = _errors(manager, frameworks=[], sections="summary")

    assert errors == {"frameworks": ["Choose at least one framework."], "sections": ["Give the sections as a list of names."]}


def test_a_key_reads_with_its_creators_permissions_and_a_key_without_owner_is_refused(framework, manager, sent_tasks):
    owned, _ = account_services.create_api_key(actor=manager, name="pipeline", scopes=["reports:write"])
    orphan, _ = account_services.create_api_key(actor=SYSTEM, name="cli", scopes=["reports:write"])

    report = request(owned)

    assert (report.requested_by, report.requested_by_key) == (manager, owned)
    assert AuditEvent.objects.get(action="report.requested").actor_label == "key pipeline (" + owned.prefix + ")"
    errors = _errors(orphan)
    assert errors == {
        "__all__": [
            "This API key has no active owner whose permissions the report could read with (keys made with "
            "manage.py create_api_key have none): create the key on the API keys page."
        ]
    }
