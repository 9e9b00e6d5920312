"""Walking the chain: recompute every hash and compare with the checkpoints."""

from dataclasses import dataclass

from compliance.audit.canonical import hash_of_event
from compliance.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, ChainHead

BATCH_SIZE = 2000


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    event_count: int
    head_sequence: int
    head_hash: str
    first_bad_sequence: int | None = None
    problem: str = ""


def verify_chain(*, batch_size: int = BATCH_SIZE) -> ChainReport:
    """Walk every event in sequence order and return what was found.

    The first problem wins: a missing or reordered event (a gap in the sequence or
    a ``prev_hash`` that is not its predecessor's hash), an edited event (its hash
    does not recompute), or a tail cut below a checkpoint or below the chain head.
    """
    # The head and the checkpoints are read before the walk: writers append while
    # it runs, so a head read afterwards could be ahead of the events walked.
    head = ChainHead.objects.filter(pk=1).first()
    checkpoints = list(AuditCheckpoint.objects.order_by("sequence").values_list("sequence", "hash"))
    expected_sequence = 1
    prev_hash = GENESIS_HASH
    count = 0
    last_sequence = 0
    hashes_at_checkpoints: dict[int, str] = {0: GENESIS_HASH}
    checkpoint_sequences = {sequence for sequence, _ in checkpoints}

    while True:
        batch = list(
            AuditEvent.objects.filter(sequence__gt=last_sequence).order_by("sequence")[:batch_size]
        )
        if not batch:
            break
        for event in batch:
            if event.sequence != expected_sequence:
                return _broken(count, prev_hash, expected_sequence, f"Event #{expected_sequence} is missing.")
            if event.prev_hash != prev_hash:
                return _broken(
                    count,
                    prev_hash,
                    event.sequence,
                    f"Event #{event.sequence} does not follow event #{event.sequence - 1}: "
                    "an event before it was removed, replaced or reordered.",
                )
            if hash_of_event(event) != event.hash:
                return _broken(count, prev_hash, event.sequence, f"Event #{event.sequence} was altered.")
            if event.sequence in checkpoint_sequences:
                hashes_at_checkpoints[event.sequence] = event.hash
            prev_hash = event.hash
            count += 1
            expected_sequence += 1
        last_sequence = batch[-1].sequence

    for sequence, recorded_hash in checkpoints:
        if sequence > count:
            return _broken(
                count,
                prev_hash,
                count + 1,
                f"The chain ends at #{count} but a checkpoint recorded #{sequence}: events from #{count + 1} were cut.",
            )
        if hashes_at_checkpoints[sequence] != recorded_hash:
            return _broken(
                count,
                prev_hash,
                sequence,
                f"Event #{sequence} differs from the checkpoint recorded for it: the chain was rewritten.",
            )
    if head is not None and head.sequence > count:
        return _broken(
            count,
            prev_hash,
            count + 1,
            f"The chain head says #{head.sequence} but the chain ends at #{count}: events from #{count + 1} were cut.",
        )
    return ChainReport(intact=True, event_count=count, head_sequence=count, head_hash=prev_hash)


def _broken(count: int, head_hash: str, first_bad: int, problem: str) -> ChainReport:
    return ChainReport(
        intact=False,
        event_count=count,
        head_sequence=count,
        head_hash=head_hash,
        first_bad_sequence=first_bad,
        problem=problem,
    )
