"""The erasure services: intake, every transition and its refusals, approval into steps, holds, reminders (of both kinds)."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from compliance.audit.models import AuditEvent
from consent.erasure import services
from consent.erasure.models import AccessReminder, ErasureReminder, ErasureRequest, ErasureStep
from consent.erasure.services import ErasureActionRefused
from datasets.services import create_dataset
from tests.consent.erasure.access_fixtures import access_root, file_access  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def refused(call, **kwargs) -> str:
    with pytest.raises(ErasureActionRefused) as caught:
        call(**kwargs)
    return caught.value.message


def field_errors(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


# --- Intake ------------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 1, 31, 10, 0, tzinfo=LONDON), tick=False)
def test_a_known_subject_request_takes_the_subject_regime_and_the_gdpr_clock(make_request, subject, dpo):
    request = make_request(subject=subject, requester_contact="jane.doe@example.com", assignee=dpo)

    assert (request.status, request.regulation, request.clause, request.source) == ("received", "gdpr", "GDPR Art. 17(1)", "browser")
    assert request.due_at == datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=LONDON)
    assert (request.assignee, request.created_by, request.reference) == (dpo, "dpo", f"#{request.pk}")
    [event] = events("erasure.received")
    assert event.target_type == "erasure.erasurerequest" and event.target_id == str(request.pk)
    assert event.data == {
        "request": request.reference,
        "subject": "user-1",
        "identifiers": [],
        "regulation": "gdpr",
        "clause": "GDPR Art. 17(1)",
        "source": "browser",
        "assignee": "dpo",
        "due_at": request.due_at.isoformat(),
    }


def test_regulation_defaults_follow_the_jurisdiction(make_request, make_subject):
    californian = make_subject("ca-1", jurisdiction="US-CA")
    texan = make_subject("tx-1", jurisdiction="US-TX")
    assert make_request(subject=californian).regulation == "ccpa"
    assert make_request(subject=texan).regulation == "policy"
    assert make_request(identifiers={"email": "x@example.org"}).regulation == "policy"
    assert make_request(subject=texan, regulation="gdpr", clause="GDPR Art. 17(1)(b)").clause == "GDPR Art. 17(1)(b)"


def test_identifiers_of_an_unknown_person_are_stored_encrypted_with_blind_indexes(make_request):
    request = make_request(
        identifiers={"email": " Someone@Example.org ", "phone": "+44 20 7946 0001"}, requester_contact="call +44 20 7946 0001"
    )

    stored = ErasureRequest.objects.get(pk=request.pk)
    assert (stored.email, stored.phone, stored.requester_contact) == ("someone@example.org", "+442079460001", "call +44 20 7946 0001")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM erasure_erasurerequest")
        dump = repr(cursor.fetchall())
    assert "someone" not in dump.lower() and "2079460001" not in dump and "7946 0001" not in dump
    assert stored.email_index and stored.phone_index
    assert events("erasure.received")[0].data["identifiers"] == ["email", "phone"]
    assert "someone" not in repr(events("erasure.received")[0].data).lower()


def test_intake_refuses_nobody_both_and_bad_values(make_request, subject, make_user):
    assert field_errors(make_request) == {"subject": ["Name the subject by external id, or give the person's email or phone."]}
    assert field_errors(make_request, subject=subject, identifiers={"email": "a@example.org"}) == {
        "identifiers": ["Name a known subject or give identifiers for an unknown person, not both."]
    }
    errors = field_errors(make_request, identifiers={"email": "nope", "fax": "1"}, regulation="hipaa", source="fax")
    assert errors["email"] == ["This is not an email address: it has no @."]
    assert errors["identifiers"] == ["Unknown identifier fax: give email and/or phone."]
    assert errors["regulation"] == ["Unknown regulation 'hipaa'. Use one of: gdpr, ccpa, policy."]
    assert errors["source"] == ["Unknown source 'fax'. Use one of: browser, api."]
    engineer = make_user("ML engineer", username="eng")
    assert field_errors(make_request, subject=subject, assignee=engineer) == {
        "assignee": ["eng cannot handle erasure requests; choose a DPO."]
    }
    assert not ErasureRequest.objects.exists()


def test_the_database_refuses_a_request_naming_nobody_or_an_unknown_status(make_request, subject):
    request = make_request(subject=subject)
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.filter(pk=request.pk).update(subject=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.filter(pk=request.pk).update(status="cancelled")
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.filter(pk=request.pk).update(status="rejected")


# --- Transitions ---------------------------------------------------------------------------------


def test_verification_records_method_evidence_and_who(make_request, subject, dpo):
    request = make_request(subject=subject)
    verified = services.verify_erasure_request(actor=dpo, request=request, method="id_document", evidence_note="Passport seen")

    assert (verified.status, verified.verification_method, verified.verification_note, verified.verified_by) == (
        "verified",
        "id_document",
        "Passport seen",
        "dpo",
    )
    assert verified.verified_at is not None
    assert events("erasure.verified")[0].data == {"request": request.reference, "method": "id_document", "clock_resumed": False}
    assert refused(services.verify_erasure_request, actor=dpo, request=request, method="id_document", evidence_note="x") == (
        f"Request #{request.pk} is verified; only received requests can be verified."
    )


def test_verification_needs_a_known_method_and_an_evidence_note(make_request, subject, dpo):
    request = make_request(subject=subject)
    assert field_errors(services.verify_erasure_request, actor=dpo, request=request, method="vibes", evidence_note="") == {
        "method": [
            "Unknown verification method 'vibes'. Use one of: id_document, account, email_confirmation, knowledge, trusted_api_key, other."
        ],
        "evidence_note": ["Give the evidence note."],
    }


def test_approval_creates_one_step_per_location_the_request_can_reach(verified, dataset, make_location, dpo, make_request):
    by_id = make_location(dataset, "orders", "external_id")
    by_email = make_location(dataset, "newsletter", "email")
    by_phone = make_location(dataset, "sms", "phone")

    approved = services.approve_erasure_request(actor=dpo, request=verified)

    steps = list(approved.steps.order_by("location__name"))
    assert approved.status == "approved" and approved.approved_by == "dpo"
    assert [(step.location, step.status, step.attempts, step.evidence) for step in steps] == [
        (by_email, "pending", 0, {}),
        (by_id, "pending", 0, {}),
        (by_phone, "pending", 0, {}),
    ]
    assert events("erasure.approved")[0].data == {"request": verified.reference, "steps": 3, "skipped": [], "clock_resumed": False}
    # An unknown person known only by email reaches only the email-keyed location.
    stranger = make_request(identifiers={"email": "x@example.org"})
    services.verify_erasure_request(actor=dpo, request=stranger, method="email_confirmation", evidence_note="Replied")
    assert [step.location for step in services.approve_erasure_request(actor=dpo, request=stranger).steps.all()] == [by_email]


def test_approval_skips_locations_under_a_legal_hold_naming_it(verified, dataset, make_location, dpo):
    free = create_dataset(actor=dpo, name="Support tickets")
    held_location = make_location(dataset, "orders")
    free_location = make_location(free, "tickets")
    hold = services.set_legal_hold(actor=dpo, dataset=dataset, reason="Litigation 2026-17")
    services.release_legal_hold(actor=dpo, hold=services.set_legal_hold(actor=dpo, dataset=free, reason="Over"))

    approved = services.approve_erasure_request(actor=dpo, request=verified)

    held_step = approved.steps.get(location=held_location)
    free_step = approved.steps.get(location=free_location)
    assert (held_step.status, held_step.legal_hold, held_step.skipped_reason) == (
        "skipped",
        hold,
        f"Legal hold #{hold.pk} on dataset Shop customers: Litigation 2026-17",
    )
    assert (free_step.status, free_step.legal_hold) == ("pending", None)
    assert events("erasure.approved")[0].data["skipped"] == [{"location": str(held_location.pk), "hold": hold.pk}]


def test_a_hold_on_the_subject_skips_every_location(verified, dataset, make_location, dpo, subject):
    make_location(dataset, "orders")
    make_location(dataset, "newsletter", "email")
    hold = services.set_legal_hold(actor=dpo, subject=subject, reason="Regulator inquiry")
    approved = services.approve_erasure_request(actor=dpo, request=verified)
    assert {(step.status, step.legal_hold_id) for step in approved.steps.all()} == {("skipped", hold.pk)}


def test_an_expired_hold_no_longer_skips(verified, dataset, make_location, dpo):
    make_location(dataset, "orders")
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=LONDON)):
        services.set_legal_hold(actor=dpo, dataset=dataset, reason="Until spring", until=datetime(2026, 3, 1, tzinfo=LONDON))
    with time_machine.travel(datetime(2026, 3, 2, tzinfo=LONDON)):
        approved = services.approve_erasure_request(actor=dpo, request=verified)
    assert [step.status for step in approved.steps.all()] == ["pending"]


def test_one_step_per_request_and_location_is_enforced_by_the_database(verified, dataset, make_location, dpo):
    location = make_location(dataset, "orders")
    approved = services.approve_erasure_request(actor=dpo, request=verified)
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureStep.objects.create(request=approved, location=location)


def test_approval_refuses_requests_that_are_not_verified(make_request, subject, dpo):
    request = make_request(subject=subject)
    assert refused(services.approve_erasure_request, actor=dpo, request=request) == (
        f"Request #{request.pk} is received; only verified requests can be approved."
    )


def test_rejection_records_reason_and_clause(make_request, subject, dpo):
    request = make_request(subject=subject)
    rejected = services.reject_erasure_request(
        actor=dpo, request=request, reason="exemption", clause="GDPR Art. 17(3)(b)", note="Tax records"
    )
    assert (rejected.status, rejected.rejection_reason, rejected.rejection_clause, rejected.rejection_note) == (
        "rejected",
        "exemption",
        "GDPR Art. 17(3)(b)",
        "Tax records",
    )
    assert events("erasure.rejected")[0].data == {"request": request.reference, "reason": "exemption", "clause": "GDPR Art. 17(3)(b)"}
    assert refused(services.reject_erasure_request, actor=dpo, request=request, reason="exemption", clause="x") == (
        f"Request #{request.pk} is rejected; only received or verified requests can be rejected."
    )
    assert field_errors(services.reject_erasure_request, actor=dpo, request=request, reason="bored", clause="") == {
        "reason": ["Unknown rejection reason 'bored'. Use one of: unverifiable, legal_hold, exemption."],
        "clause": ["Give the clause."],
    }


def test_approved_requests_cannot_be_rejected_or_verified(verified, dpo):
    services.approve_erasure_request(actor=dpo, request=verified)
    assert refused(services.reject_erasure_request, actor=dpo, request=verified, reason="exemption", clause="x") == (
        f"Request #{verified.pk} is approved; only received or verified requests can be rejected."
    )


def test_cancelling_an_approval_removes_the_steps_before_they_run(verified, dataset, make_location, dpo):
    make_location(dataset, "orders")
    approved = services.approve_erasure_request(actor=dpo, request=verified)
    cancelled = services.cancel_erasure_approval(actor=dpo, request=approved, reason="Hold expected tomorrow")

    assert (cancelled.status, cancelled.approved_at, cancelled.steps.count()) == ("verified", None, 0)
    assert events("erasure.approval_cancelled")[0].data == {
        "request": verified.reference,
        "steps_removed": 1,
        "reason": "Hold expected tomorrow",
    }
    assert refused(services.cancel_erasure_approval, actor=dpo, request=cancelled, reason="again") == (
        f"Request #{verified.pk} is verified; only approved requests can be cancelled."
    )


def test_an_approval_whose_steps_started_cannot_be_cancelled(verified, dataset, make_location, dpo):
    make_location(dataset, "orders")
    approved = services.approve_erasure_request(actor=dpo, request=verified)
    approved.steps.update(attempts=1)
    assert refused(services.cancel_erasure_approval, actor=dpo, request=approved, reason="stop") == (
        f"Request #{verified.pk} has steps that already started, so its approval can no longer be cancelled."
    )


@pytest.mark.parametrize("status", ["completed", "running"])
def test_closed_or_running_requests_refuse_the_intake_transitions(make_request, subject, dpo, status):
    request = make_request(subject=subject)
    ErasureRequest.objects.filter(pk=request.pk).update(status=status)
    assert refused(services.verify_erasure_request, actor=dpo, request=request, method="other", evidence_note="x") == (
        f"Request #{request.pk} is {status}; only received requests can be verified."
    )
    assert refused(services.pause_clock, actor=dpo, request=request) == (
        f"Request #{request.pk} is {status}; only received or verified requests can be paused."
    )


def test_completed_requests_cannot_be_extended_or_reassigned(make_request, subject, dpo):
    request = make_request(subject=subject)
    ErasureRequest.objects.filter(pk=request.pk).update(status="completed")
    assert refused(services.extend_deadline, actor=dpo, request=request, reason="x") == (
        f"Request #{request.pk} is completed; only received, verified, approved, running or failed requests can be extended."
    )
    assert refused(services.reassign_request, actor=dpo, request=request, assignee=None) == (
        f"Request #{request.pk} is completed; only received, verified, approved, running or failed requests can be reassigned."
    )


# --- The clock -----------------------------------------------------------------------------------


def test_extension_once_by_two_months_with_the_reason(make_request, subject, dpo):
    with time_machine.travel(datetime(2026, 1, 31, 10, 0, tzinfo=LONDON), tick=False):
        request = make_request(subject=subject)
        extended = services.extend_deadline(actor=dpo, request=request, reason="Complex: eleven systems")
    assert extended.due_at == datetime(2026, 4, 30, 23, 59, 59, 999999, tzinfo=LONDON)
    assert (extended.extended, extended.extension_reason) == (True, "Complex: eleven systems")
    assert events("erasure.deadline_extended")[0].data["due_before"] == "2026-02-28T23:59:59.999999+00:00"
    assert refused(services.extend_deadline, actor=dpo, request=request, reason="again") == (
        f"Request #{request.pk}'s deadline was already extended on 2026-01-31; it can be extended only once."
    )
    with pytest.raises(ValidationError, match="Give the reason for the extension."):
        services.extend_deadline(actor=dpo, request=make_request(subject=subject), reason=" ")


def test_ccpa_extension_adds_45_days(make_request, make_subject, dpo):
    with time_machine.travel(datetime(2026, 1, 10, 15, 0, tzinfo=LONDON), tick=False):
        request = make_request(subject=make_subject("ca-1", jurisdiction="US-CA"))
        assert request.due_at == datetime(2026, 2, 24, 23, 59, 59, 999999, tzinfo=LONDON)
        extended = services.extend_deadline(actor=dpo, request=request, reason="Notice sent to the consumer on 10 Jan")
    assert extended.due_at == datetime(2026, 4, 10, 23, 59, 59, 999999, tzinfo=LONDON)


def test_pause_and_resume_move_the_due_date_by_exactly_the_pause(make_request, subject, dpo):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        request = make_request(subject=subject)
    original = request.due_at
    with time_machine.travel(datetime(2026, 3, 5, 9, 0, 0, tzinfo=LONDON), tick=False):
        paused = services.pause_clock(actor=dpo, request=request)
        assert refused(services.pause_clock, actor=dpo, request=request) == (
            f"Request #{request.pk}'s clock is already paused since 2026-03-05 09:00."
        )
    with time_machine.travel(datetime(2026, 3, 9, 14, 30, 15, 250, tzinfo=LONDON), tick=False):
        resumed = services.resume_clock(actor=dpo, request=paused)
    assert resumed.paused_at is None
    assert resumed.paused_total == timedelta(days=4, hours=5, minutes=30, seconds=15, microseconds=250)
    assert resumed.due_at - original == resumed.paused_total
    assert events("erasure.clock_resumed")[0].data["paused_seconds"] == 365415
    assert refused(services.resume_clock, actor=dpo, request=resumed) == (
        f"Request #{request.pk}'s clock is running; there is nothing to resume."
    )


def test_a_second_pause_adds_to_the_first_and_verification_resumes_the_clock(make_request, subject, dpo):
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=LONDON), tick=False):
        request = make_request(subject=subject)
        original = request.due_at
        services.pause_clock(actor=dpo, request=request)
    with time_machine.travel(datetime(2026, 6, 2, 9, 0, tzinfo=LONDON), tick=False):
        services.resume_clock(actor=dpo, request=request)
        services.pause_clock(actor=dpo, request=request)
    with time_machine.travel(datetime(2026, 6, 2, 21, 0, tzinfo=LONDON), tick=False):
        verified = services.verify_erasure_request(actor=dpo, request=request, method="id_document", evidence_note="Sent at last")
    assert (verified.paused_at, verified.paused_total) == (None, timedelta(hours=36))
    assert verified.due_at == original + timedelta(hours=36)
    assert events("erasure.verified")[0].data["clock_resumed"] is True


def test_reassignment_changes_the_handler(make_request, subject, dpo, make_user):
    other = make_user("DPO", username="dpo2")
    request = make_request(subject=subject, assignee=dpo)
    assert services.reassign_request(actor=dpo, request=request, assignee=other).assignee == other
    assert events("erasure.reassigned")[0].data == {"request": request.reference, "assignee": "dpo2"}


# --- Legal holds -------------------------------------------------------------------------------


def test_a_hold_names_exactly_one_target_and_a_reason(dpo, dataset, subject):
    errors = field_errors(services.set_legal_hold, actor=dpo, dataset=dataset, subject=subject, reason="")
    assert errors == {"target": ["Put the hold on a dataset or on a subject (one of them)."], "reason": ["Give the reason."]}
    past = datetime(2020, 1, 1, tzinfo=LONDON)
    assert field_errors(services.set_legal_hold, actor=dpo, dataset=dataset, reason="x", until=past) == {
        "until": ["The end of the hold must be in the future; leave it empty for a hold until released."]
    }


def test_the_database_refuses_a_hold_on_both_or_neither(dpo, dataset, subject):
    from consent.erasure.models import LegalHold

    with pytest.raises(IntegrityError), transaction.atomic():
        LegalHold.objects.create(dataset=dataset, subject=subject, reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalHold.objects.create(reason="x")


def test_setting_and_releasing_a_hold_is_audited_once(dpo, dataset):
    hold = services.set_legal_hold(actor=dpo, dataset=dataset, reason="Litigation")
    assert events("legal_hold.set")[0].data == {"dataset": dataset.slug, "subject": None, "until": None}
    released = services.release_legal_hold(actor=dpo, hold=hold)
    assert (released.released_by, released.is_active()) == (dpo, False)
    assert refused(services.release_legal_hold, actor=dpo, hold=hold).startswith(f"Legal hold #{hold.pk} was already released on ")


# --- Reminders (erasure and access requests, one beat task) ---------------------------------------

# Per kind of request: the fixture filing one, the mail's name for it, its page, its reminder table.
REMINDED = {
    "erasure": ("make_request", "Erasure request #{pk}", "/erasure/requests/{pk}/", ErasureReminder),
    "access": ("file_access", "Access request #A{pk}", "/erasure/access/{pk}/", AccessReminder),
}


@pytest.fixture(params=sorted(REMINDED))
def kind(request):
    """One kind of request, for the reminder tests: ``kind.file(subject=…)``, ``kind.title``, ``kind.page``, ``kind.reminders``."""
    factory, title, page, reminders = REMINDED[request.param]
    return SimpleNamespace(
        name=request.param, file=request.getfixturevalue(factory), title=title, page=page, reminders=reminders
    )


@pytest.fixture
def mailed_dpo(dpo):
    dpo.email = "dpo@staff.example.org"
    dpo.save()
    return dpo


def test_reminders_go_to_the_assignee_once_per_threshold(kind, subject, mailed_dpo, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        request = kind.file(subject=subject, assignee=mailed_dpo)  # due 2 April
        with django_capture_on_commit_callbacks(execute=True):
            assert services.send_reminders() == 0
    with time_machine.travel(datetime(2026, 3, 26, 9, 0, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.send_reminders() == 1
            assert services.send_reminders() == 0
    with time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.send_reminders() == 1
            assert services.send_reminders() == 0

    title = kind.title.format(pk=request.pk)
    assert [message.subject for message in mail.outbox] == [
        f"{title} is due on 02 April 2026 (7 days left)",
        f"{title} is overdue",
    ]
    assert mail.outbox[0].to == ["dpo@staff.example.org"]
    assert f"{title} was due on 02 April 2026 and is not complete." in mail.outbox[1].body
    assert kind.page.format(pk=request.pk) in mail.outbox[1].body
    assert list(kind.reminders.objects.values_list("kind", flat=True).order_by("sent_at")) == ["due_soon", "overdue"]
    assert [event.data["kind"] for event in events(f"{kind.name}.reminder_sent")] == ["due_soon", "overdue"]
    assert AuditEvent.objects.filter(action__endswith=".reminder_sent").count() == 2


def test_an_extended_deadline_earns_fresh_reminders_and_paused_unassigned_or_closed_get_none(
    kind, subject, mailed_dpo, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        request = kind.file(subject=subject, assignee=mailed_dpo)
        unassigned = kind.file(subject=subject)
        paused = kind.file(subject=subject, assignee=mailed_dpo)
        services.pause_clock(actor=mailed_dpo, request=paused)
        closed = kind.file(subject=subject, assignee=mailed_dpo)
        type(closed).objects.filter(pk=closed.pk).update(status="rejected", rejection_reason="exemption")
    with time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.send_reminders() == 1
        services.extend_deadline(actor=mailed_dpo, request=request, reason="Complex")
    with time_machine.travel(datetime(2026, 5, 27, 9, 0, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.send_reminders() == 1
    assert [reminder.request_id for reminder in kind.reminders.objects.all()] == [request.pk, request.pk]
    assert unassigned.pk and paused.pk
    assert len(mail.outbox) == 2


def test_a_rolled_back_reminder_sends_no_mail(kind, subject, mailed_dpo, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        kind.file(subject=subject, assignee=mailed_dpo)
    with time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(RuntimeError), transaction.atomic():
                services.send_reminders()
                raise RuntimeError("boom")
    assert mail.outbox == [] and not kind.reminders.objects.exists()
