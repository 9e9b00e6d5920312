"""Check of the audit log: the hash chain verifies."""

import pytest
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.audit.services import record_event
from tests.compliance.audit.chain import triggers_lifted
from tests.compliance.controls.checks.conftest import labels, urls

pytestmark = pytest.mark.django_db


def test_an_empty_log_has_no_data(evaluate):
    outcome = evaluate("audit.chain_verifies")

    assert (outcome.status, outcome.summary) == ("no_data", "The audit log holds no event yet.")


def test_passes_on_an_intact_chain(evaluate):
    for number in range(3):
        record_event(actor=None, action="test.event", data={"number": number})

    outcome = evaluate("audit.chain_verifies")

    assert (outcome.status, outcome.summary) == ("pass", "The audit chain is intact: 3 events verified up to #3.")


def test_fails_on_an_altered_event_naming_it(evaluate):
    for number in range(3):
        record_event(actor=None, action="test.event", data={"number": number})
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=2).update(data={"number": 99})

    outcome = evaluate("audit.chain_verifies")

    assert outcome.status == "fail"
    assert outcome.summary == "The audit chain is broken at event #2 after 1 event verified: Event #2 was altered."
    assert labels(outcome) == ["Audit event #2"]
    assert urls(outcome) == [reverse("audit:event_detail", args=[2])]
