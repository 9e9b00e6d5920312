"""Key rotation for evidence files: re-encrypt every stored file still under an old field key."""

from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from compliance.controls import evidence_files
from compliance.crypto.keyring import TOKEN_SEPARATOR, get_keyring

ACTOR = SystemActor("rotate_encryption_keys")


def _key_id_of(stored_name: str) -> str | None:
    try:
        with evidence_files.stored_path(stored_name).open("rb") as file:
            head = file.read(32)
    except FileNotFoundError:
        return None
    return head.split(TOKEN_SEPARATOR.encode(), 1)[0].decode("ascii", "replace")


def rotate_evidence_files(batch_size: int, max_items: int | None) -> tuple[int, bool]:
    """Re-encrypt evidence files not under the active key; return (files moved, whether none is left).

    Resumable: a file already under the active key is skipped, and each file is
    replaced atomically (temporary file, rename), so an interrupted run loses
    nothing. A missing file is left for the evidence checks to report.
    """
    from compliance.controls.models import Evidence

    active = get_keyring().active.key_id
    moved, stale_left, after = 0, False, 0
    while True:
        batch = list(Evidence.objects.filter(pk__gt=after).exclude(stored_name="").order_by("pk").values_list("pk", "uid", "stored_name")[:batch_size])
        if not batch:
            break
        for pk, uid, stored_name in batch:
            after = pk
            key_id = _key_id_of(stored_name)
            if key_id is None or key_id == active:
                continue
            if max_items is not None and moved >= max_items:
                stale_left = True
                continue
            content = evidence_files.read_decrypted(stored_name=stored_name, uid=uid)
            evidence_files.write_encrypted(stored_name=stored_name, uid=uid, content=content)
            moved += 1
    if moved:
        record_event(actor=ACTOR, action="controls.evidence_files_rotated", data={"active_key_id": active, "files": moved})
    return moved, not stale_left
