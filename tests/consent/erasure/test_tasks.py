"""The reminder beat task: a thin wrapper that sends what is due and nothing twice."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from consent.erasure import tasks

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def test_the_task_mails_overdue_requests_once(make_request, subject, dpo, django_capture_on_commit_callbacks):
    dpo.email = "dpo@staff.example.org"
    dpo.save()
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        request = make_request(subject=subject, assignee=dpo)
    with time_machine.travel(datetime(2026, 4, 10, 9, 0, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.send_erasure_reminders.apply().get() == 1
            assert tasks.send_erasure_reminders.apply().get() == 0
    assert [message.subject for message in mail.outbox] == [f"Erasure request #{request.pk} is overdue"]
