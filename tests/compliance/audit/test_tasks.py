"""The beat task that verifies the chain and checkpoints its head."""

import logging

import pytest
from django.conf import settings

from compliance.audit import tasks
from compliance.audit.models import AuditCheckpoint, AuditEvent, ChainVerification
from compliance.audit.services import record_event
from compliance.celery import app
from tests.compliance.audit.chain import triggers_lifted

pytestmark = pytest.mark.django_db


def test_beat_schedule_names_the_registered_task():
    name = settings.CELERY_BEAT_SCHEDULE["audit-verify-and-checkpoint"]["task"]

    assert name == "compliance.audit.tasks.verify_and_checkpoint"
    assert app.tasks[name].run == tasks.verify_and_checkpoint.run


def test_task_checkpoints_an_intact_chain_as_scheduled():
    last = [record_event(actor=None, action="test.event") for _ in range(3)][-1]

    verification_id = tasks.verify_and_checkpoint.apply().get()

    verification = ChainVerification.objects.get(pk=verification_id)
    assert (verification.intact, verification.event_count) == (True, 3)
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.sequence, checkpoint.hash, checkpoint.reason) == (3, last.hash, "schedule")
    event = AuditEvent.objects.get(action="audit.chain_verified")
    assert (event.actor_type, event.actor_label, event.data["reason"]) == ("system", "beat", "schedule")


def test_task_logs_a_broken_chain_and_records_no_checkpoint(caplog):
    for _ in range(3):
        record_event(actor=None, action="test.event")
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=2).delete()

    with caplog.at_level(logging.ERROR, logger="custos.audit"):
        tasks.verify_and_checkpoint.apply().get()

    assert "Audit chain BROKEN at #2: Event #2 is missing." in caplog.messages
    assert not AuditCheckpoint.objects.exists()
    assert ChainVerification.objects.get().intact is False
