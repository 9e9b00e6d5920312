"""Celery tasks of the consent app."""

from celery import shared_task

from consent.imports.tasks import process_consent_import  # noqa: F401 (registered with the worker from here)
from consent.services import lapse_expired_consents as lapse


@shared_task(name="consent.tasks.lapse_expired_consents", ignore_result=True)
def lapse_expired_consents() -> int:
    """Record the expiry of every grant whose expires_at has passed (beat, hourly); return how many lapsed."""
    return lapse()
