"""record_event: the only way into the audit log."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from compliance.audit.actors import SystemActor
from compliance.audit.canonical import hash_of_event
from compliance.audit.models import GENESIS_HASH, AuditEvent, ChainHead
from compliance.audit.services import record_event
from compliance.audit.verification import verify_chain

pytestmark = pytest.mark.django_db


def test_sequence_starts_at_one_and_each_event_links_to_the_one_before():
    first = record_event(actor=None, action="test.first")
    second = record_event(actor=None, action="test.second")
    third = record_event(actor=None, action="test.third")

    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    head = ChainHead.objects.get(pk=1)
    assert (head.sequence, head.hash) == (3, third.hash)


def test_stored_hash_recomputes_from_the_row_read_back():
    record_event(actor=SystemActor("beat"), action="test.stored", target=("tests.thing", 7), data={"size": 3})

    stored = AuditEvent.objects.get(sequence=1)
    assert hash_of_event(stored) == stored.hash
    assert len(stored.hash) == 64


def test_payload_is_normalised_to_what_the_json_column_gives_back():
    identifier = uuid.UUID("12345678-1234-5678-1234-567812345678")
    event = record_event(
        actor=None,
        action="test.normalised",
        data={
            "day": date(2026, 1, 31),
            "at": datetime(2026, 1, 31, 9, 30, tzinfo=UTC),
            "amount": Decimal("1.50"),
            "id": identifier,
        },
    )

    expected = {"day": "2026-01-31", "at": "2026-01-31T09:30:00Z", "amount": "1.50", "id": str(identifier)}
    assert event.data == expected
    stored = AuditEvent.objects.get(sequence=event.sequence)
    assert stored.data == expected
    assert hash_of_event(stored) == stored.hash


@pytest.mark.parametrize("action", ["login", "", " auth.login", "auth.login "])
def test_action_must_be_a_dotted_name(action):
    with pytest.raises(ValueError) as error:
        record_event(actor=None, action=action)

    assert str(error.value) == f"Audit actions are dotted names like 'erasure.approved', not {action!r}."
    assert not AuditEvent.objects.exists()


def test_a_user_is_recorded_by_id_and_username(make_user):
    user = make_user(None, username="ada")

    event = record_event(actor=user, action="test.user", target=user)

    assert (event.actor_type, event.actor_id, event.actor_label) == ("user", str(user.pk), "ada")
    assert (event.target_type, event.target_id) == ("accounts.user", str(user.pk))


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (None, ("system", "", "system")),
        (SystemActor("beat"), ("system", "", "beat")),
        (AnonymousUser(), ("anonymous", "", "anonymous")),
    ],
    ids=["none-is-the-system", "named-system-actor", "anonymous-visitor"],
)
def test_actors_that_are_not_users(actor, expected):
    event = record_event(actor=actor, action="test.actor")

    assert (event.actor_type, event.actor_id, event.actor_label) == expected
    assert (event.target_type, event.target_id) == ("", "")


def test_a_target_may_be_a_type_and_id_pair():
    event = record_event(actor=None, action="test.target", target=("datasets.dataset", 42))

    assert (event.target_type, event.target_id) == ("datasets.dataset", "42")


def test_the_event_belongs_to_the_callers_transaction():
    record_event(actor=None, action="test.kept")

    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(actor=None, action="test.rolled_back")
        raise RuntimeError("the caller's work failed")

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.kept"]
    assert ChainHead.objects.get(pk=1).sequence == 1
    assert record_event(actor=None, action="test.next").sequence == 2
    assert verify_chain().intact


def test_appending_recreates_a_missing_head_row():
    # flush empties the head row too; the first append after it starts the chain again.
    ChainHead.objects.all().delete()

    event = record_event(actor=None, action="test.after_flush")

    assert (event.sequence, event.prev_hash) == (1, GENESIS_HASH)
    assert ChainHead.objects.get(pk=1).sequence == 1
