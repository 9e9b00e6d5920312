"""Celery task of consent imports."""

from celery import shared_task
from django.conf import settings

from consent.imports import services
from consent.models import ConsentImport


@shared_task(name="consent.imports.process_consent_import", ignore_result=True)
def process_consent_import(job_id: str) -> None:
    """Record the import's file from where it stands for a while, then queue the rest as a new task."""
    job = ConsentImport.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return
    job = services.process_import(job_id=job_id, time_budget=settings.CONSENT_IMPORT_TASK_SECONDS)
    if job is not None and not job.finished:
        process_consent_import.apply_async(args=[job_id], queue=settings.CONSENT_IMPORT_QUEUE)
