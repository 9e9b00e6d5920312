"""The hourly beat task lapses expired consents through the service."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from consent import tasks
from consent.models import ConsentState
from consent.services import record_consent

pytestmark = pytest.mark.django_db


def test_the_task_lapses_what_has_expired(dpo, subject, purpose):
    now = timezone.now()
    record_consent(
        actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="app", expires_at=now + timedelta(hours=1)
    )

    assert tasks.lapse_expired_consents.apply().get() == 0
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        assert tasks.lapse_expired_consents.apply().get() == 1

    assert ConsentState.objects.get().status == "expired"


def test_beat_runs_it_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["consent-lapse-expired"]

    assert (entry["task"], entry["schedule"]) == ("consent.tasks.lapse_expired_consents", 3600.0)
