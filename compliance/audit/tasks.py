"""Celery tasks of the audit log."""

import logging

from celery import shared_task

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditCheckpoint
from compliance.audit.services import verify_and_record

logger = logging.getLogger("custos.audit")


@shared_task(name="compliance.audit.tasks.verify_and_checkpoint", ignore_result=True)
def verify_and_checkpoint() -> int:
    """Verify the chain on beat's schedule, checkpoint its head if intact, and return the verification id."""
    verification = verify_and_record(actor=SystemActor("beat"), reason=AuditCheckpoint.Reason.SCHEDULE)
    if not verification.intact:
        logger.error("%s", verification.summary)
    return verification.pk
