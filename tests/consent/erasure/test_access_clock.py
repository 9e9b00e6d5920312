"""An access request's clock: the one extension, pauses, reassignment and the reminder e-mails (the erasure services, shared)."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from compliance.audit.models import AuditEvent
from consent.erasure import access_services, services, tasks
from consent.erasure.access_models import AccessReminder, AccessRequest, AccessStatus
from tests.consent.erasure.access_fixtures import access_root, file_access, started  # noqa: F401 (fixtures)
from tests.consent.erasure.stores import shop_stores, store_root  # noqa: F401 (fixtures)
from tests.consent.erasure.test_services import LONDON, events, mailed_dpo, refused  # noqa: F401 (mailed_dpo: a fixture)

pytestmark = pytest.mark.django_db


def _close(request, status: str) -> None:
    """Put ``request`` in a closed ``status`` directly, with what the database requires of it."""
    required = {
        AccessStatus.READY: {"archive_name": "a.zip.enc", "archive_sha256": "0" * 64, "expires_at": request.due_at},
        AccessStatus.EXPIRED: {},
        AccessStatus.REJECTED: {"rejection_reason": "exemption"},
    }
    AccessRequest.objects.filter(pk=request.pk).update(status=status, **required[status])


def _end_of_day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=LONDON)


# --- Extension -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regulation", "due", "extended_due"),
    [
        # GDPR Art. 12(3): one month, then two more counted from receipt (31 January → 30 April).
        ("gdpr", _end_of_day(2026, 2, 28), _end_of_day(2026, 4, 30)),
        # CCPA §1798.130(a)(2): 45 days, then 45 more.
        ("ccpa", _end_of_day(2026, 3, 17), _end_of_day(2026, 5, 1)),
    ],
)
def test_the_deadline_is_extended_once_with_the_reason(file_access, subject, dpo, regulation, due, extended_due):
    request = file_access(subject=subject, regulation=regulation, received_at=datetime(2026, 1, 31, 10, tzinfo=LONDON))
    assert request.due_at == due

    extended = services.extend_deadline(actor=dpo, request=request, reason="Numerous requests")

    assert (extended.due_at, extended.extended, extended.extension_reason) == (extended_due, True, "Numerous requests")
    data = events("access.deadline_extended")[0].data
    assert data["request"] == request.reference
    assert (datetime.fromisoformat(data["due_before"]), datetime.fromisoformat(data["due_at"])) == (due, extended_due)
    assert not events("erasure.deadline_extended")
    assert refused(services.extend_deadline, actor=dpo, request=extended, reason="Again").startswith(
        f"Access request {request.reference}'s deadline was already extended on "
    )


def test_an_extension_needs_a_reason(file_access, subject, dpo):
    request = file_access(subject=subject)
    with pytest.raises(ValidationError) as invalid:
        services.extend_deadline(actor=dpo, request=request, reason="  ")
    assert invalid.value.messages == ["Give the reason for the extension."]
    request.refresh_from_db()
    assert not request.extended


def test_a_running_request_is_extended_and_reassigned_but_not_paused(file_access, started, subject, dpo, make_user, shop_stores):
    request = started(file_access(subject=subject))
    other = make_user("DPO", username="dpo2")

    assert services.extend_deadline(actor=dpo, request=request, reason="Complex").extended
    assert services.reassign_request(actor=dpo, request=request, assignee=other).assignee == other
    assert refused(services.pause_clock, actor=dpo, request=request) == (
        f"Access request {request.reference} is running; only received or verified requests can be paused."
    )
    assert events("access.reassigned")[0].data == {"request": request.reference, "assignee": "dpo2"}


@pytest.mark.parametrize("status", [AccessStatus.READY, AccessStatus.EXPIRED, AccessStatus.REJECTED])
def test_a_closed_request_is_neither_extended_nor_reassigned(file_access, subject, dpo, status):
    request = file_access(subject=subject)
    _close(request, status)

    assert refused(services.extend_deadline, actor=dpo, request=request, reason="x") == (
        f"Access request {request.reference} is {status}; "
        "only received, verified, running or failed requests can be extended."
    )
    assert refused(services.reassign_request, actor=dpo, request=request, assignee=None).endswith("can be reassigned.")


def test_only_a_handler_of_access_requests_can_be_assigned(file_access, subject, dpo, manager):
    request = file_access(subject=subject, assignee=dpo)
    with pytest.raises(ValidationError) as invalid:
        services.reassign_request(actor=dpo, request=request, assignee=manager)
    assert invalid.value.messages == ["manager cannot handle access requests; choose a DPO."]
    request.refresh_from_db()
    assert request.assignee == dpo


# --- Pause and resume ----------------------------------------------------------------------------


def test_pause_and_resume_move_the_due_date_by_exactly_the_pause(file_access, subject, dpo):
    with time_machine.travel(datetime(2026, 1, 31, 10, 0, tzinfo=LONDON), tick=False):
        request = file_access(subject=subject)
        original = request.due_at
        paused = services.pause_clock(actor=dpo, request=request)
        assert paused.clock().paused and paused.clock().label == "Paused"
    with time_machine.travel(datetime(2026, 2, 4, 11, 30, 15, tzinfo=LONDON), tick=False):
        assert refused(services.pause_clock, actor=dpo, request=request) == (
            f"Access request {request.reference}'s clock is already paused since 2026-01-31 10:00."
        )
        resumed = services.resume_clock(actor=dpo, request=request)

    assert resumed.paused_at is None
    assert resumed.paused_total == timedelta(days=4, hours=1, minutes=30, seconds=15)
    assert resumed.due_at == original + resumed.paused_total
    assert [event.action for event in AuditEvent.objects.filter(action__startswith="access.clock_").order_by("sequence")] == [
        "access.clock_paused", "access.clock_resumed",
    ]
    assert events("access.clock_resumed")[0].data["paused_seconds"] == 351015
    assert refused(services.resume_clock, actor=dpo, request=resumed) == (
        f"Access request {request.reference}'s clock is running; there is nothing to resume."
    )


def test_verification_resumes_a_paused_clock(file_access, started, subject, dpo, shop_stores):
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=LONDON), tick=False):
        request = file_access(subject=subject)
        original = request.due_at
        services.pause_clock(actor=dpo, request=request)
    with time_machine.travel(datetime(2026, 6, 3, 9, 0, tzinfo=LONDON), tick=False):
        verified = started(request)

    assert (verified.status, verified.paused_at, verified.paused_total) == (AccessStatus.RUNNING, None, timedelta(days=2))
    assert verified.due_at == original + timedelta(days=2)
    assert events("access.verified")[0].data["clock_resumed"] is True


def test_rejection_stops_a_paused_clock(file_access, subject, dpo):
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=LONDON), tick=False):
        request = file_access(subject=subject)
        services.pause_clock(actor=dpo, request=request)
    with time_machine.travel(datetime(2026, 6, 1, 15, 0, tzinfo=LONDON), tick=False):
        rejected = access_services.reject_access_request(
            actor=dpo, request=request, reason="unverifiable", clause="GDPR Art. 12(6)"
        )
    assert (rejected.paused_at, rejected.paused_total, rejected.clock().closed) == (None, timedelta(hours=6), True)


# --- Reminders (their thresholds, tested for both kinds of request, are in test_services.py) ------


def test_the_beat_task_reminds_of_both_kinds_of_request(
    file_access, make_request, subject, mailed_dpo, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        access = file_access(subject=subject, assignee=mailed_dpo)
        erasure = make_request(subject=subject, assignee=mailed_dpo)
    with time_machine.travel(datetime(2026, 4, 10, 9, 0, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.send_erasure_reminders.apply().get() == 2
            assert tasks.send_erasure_reminders.apply().get() == 0

    assert sorted(message.subject for message in mail.outbox) == [
        f"Access request #A{access.pk} is overdue",
        f"Erasure request #{erasure.pk} is overdue",
    ]


def test_the_database_keeps_one_reminder_per_threshold_and_due_date(file_access, subject, dpo):
    request = file_access(subject=subject)
    AccessReminder.objects.create(request=request, kind="overdue", due_at=request.due_at, recipient=dpo)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessReminder.objects.create(request=request, kind="overdue", due_at=request.due_at, recipient=dpo)
    assert str(AccessReminder.objects.get()) == f"overdue reminder for #A{request.pk}"
