"""manage.py verify_audit_chain: intact chains, and every way of tampering with one."""

from io import StringIO

import pytest
from django.core.management import call_command

from compliance.audit.canonical import hash_of_event
from compliance.audit.models import AuditCheckpoint, AuditEvent, ChainHead, ChainVerification
from compliance.audit.services import record_event
from tests.compliance.audit.chain import triggers_lifted

pytestmark = pytest.mark.django_db


def _events(count: int) -> list[AuditEvent]:
    return [record_event(actor=None, action="test.event", data={"number": number}) for number in range(count)]


def _verify_ok() -> str:
    out, err = StringIO(), StringIO()
    call_command("verify_audit_chain", stdout=out, stderr=err)
    assert err.getvalue() == ""
    return out.getvalue().strip()


def _verify_broken() -> str:
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit_chain", stdout=out, stderr=err)
    assert exit_.value.code == 1
    assert out.getvalue() == ""
    return err.getvalue().strip()


def _cut_tail(events: list[AuditEvent], *, keep: int) -> None:
    """Remove every event after #keep and rewind the head to it, as an attacker covering tracks would."""
    AuditEvent.objects.filter(sequence__gt=keep).delete()
    ChainHead.objects.filter(pk=1).update(sequence=keep, hash=events[keep - 1].hash)


def test_intact_chain_prints_count_and_head_and_exits_zero():
    events = _events(5)

    assert _verify_ok() == f"Audit chain intact: 5 events, head #5 sha256 {events[-1].hash}"


def test_verification_is_recorded_with_a_checkpoint_and_an_event():
    events = _events(3)

    _verify_ok()

    verification = ChainVerification.objects.get()
    assert (verification.intact, verification.event_count, verification.head_hash) == (True, 3, events[-1].hash)
    assert verification.first_bad_sequence is None
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.sequence, checkpoint.hash, checkpoint.reason) == (3, events[-1].hash, "manual")
    event = AuditEvent.objects.get(sequence=4)
    assert event.action == "audit.chain_verified"
    assert (event.actor_type, event.actor_label) == ("system", "verify_audit_chain")
    assert (event.target_type, event.target_id) == ("audit.chainverification", str(verification.pk))
    assert event.data == {
        "intact": True,
        "event_count": 3,
        "head_hash": events[-1].hash,
        "first_bad_sequence": None,
        "reason": "manual",
    }


def test_the_next_run_verifies_the_previous_runs_event_too():
    _events(2)
    _verify_ok()

    second = _verify_ok()

    assert second.startswith("Audit chain intact: 3 events, head #3 sha256 ")
    assert list(AuditCheckpoint.objects.order_by("sequence").values_list("sequence", flat=True)) == [2, 3]


def test_an_empty_chain_is_intact_and_not_checkpointed():
    assert _verify_ok() == f"Audit chain intact: 0 events, head #0 sha256 {'0' * 64}"
    assert not AuditCheckpoint.objects.exists()
    assert _verify_ok().startswith("Audit chain intact: 1 event, head #1 ")


def test_edited_event_is_named():
    _events(8)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=5).update(data={"number": 99})

    assert _verify_broken() == "Audit chain BROKEN at #5: Event #5 was altered."


def test_edited_event_with_a_recomputed_hash_breaks_the_next_link():
    events = _events(8)
    forged = events[4]
    forged.data = {"number": 99}
    forged_hash = hash_of_event(forged)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=5).update(data=forged.data, hash=forged_hash)

    assert _verify_broken() == (
        "Audit chain BROKEN at #6: Event #6 does not follow event #5: "
        "an event before it was removed, replaced or reordered."
    )


def test_deleted_event_in_the_middle_is_named():
    _events(8)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=4).delete()

    assert _verify_broken() == "Audit chain BROKEN at #4: Event #4 is missing."


def test_swapped_sequence_numbers_are_named():
    _events(8)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=6).update(sequence=1000)
        AuditEvent.objects.filter(sequence=5).update(sequence=6)
        AuditEvent.objects.filter(sequence=1000).update(sequence=5)

    assert _verify_broken() == (
        "Audit chain BROKEN at #5: Event #5 does not follow event #4: "
        "an event before it was removed, replaced or reordered."
    )


def test_swapped_previous_hashes_are_named():
    events = _events(8)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=3).update(prev_hash=events[2].hash)
        AuditEvent.objects.filter(sequence=4).update(prev_hash=events[1].hash)

    assert _verify_broken() == (
        "Audit chain BROKEN at #3: Event #3 does not follow event #2: "
        "an event before it was removed, replaced or reordered."
    )


def test_tail_cut_below_the_last_checkpoint_is_named():
    _events(6)
    _verify_ok()  # checkpoint at #6, its own event is #7
    events = list(AuditEvent.objects.order_by("sequence"))
    with triggers_lifted():
        _cut_tail(events, keep=4)

    assert _verify_broken() == (
        "Audit chain BROKEN at #5: The chain ends at #4 but a checkpoint recorded #6: events from #5 were cut."
    )


def test_tail_cut_below_the_chain_head_is_named():
    _events(6)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence__gt=4).delete()

    assert _verify_broken() == (
        "Audit chain BROKEN at #5: The chain head says #6 but the chain ends at #4: events from #5 were cut."
    )


def test_chain_rewritten_after_a_checkpoint_is_named():
    events = _events(4)
    _verify_ok()  # checkpoint at #4
    with triggers_lifted():
        _cut_tail(events, keep=2)
    # Re-append consistently from #3: every link and hash is valid, only the checkpoint differs.
    _events(3)

    assert _verify_broken() == (
        "Audit chain BROKEN at #4: Event #4 differs from the checkpoint recorded for it: the chain was rewritten."
    )


def test_broken_run_is_recorded_without_a_checkpoint():
    events = _events(5)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=3).update(action="test.forged")

    _verify_broken()

    verification = ChainVerification.objects.get()
    assert (verification.intact, verification.first_bad_sequence) == (False, 3)
    assert verification.event_count == 2
    assert verification.head_hash == events[1].hash
    assert verification.message == "Event #3 was altered."
    assert not AuditCheckpoint.objects.exists()
    event = AuditEvent.objects.get(action="audit.chain_verified")
    assert event.data["intact"] is False
    assert event.data["first_bad_sequence"] == 3
