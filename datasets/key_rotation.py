"""Key rotation for the registry's artefacts: keep each share link's watermark key past a field-key rotation.

A link's canaries are computed from a key derived from the field key that was
active when it was issued; files already handed out carry them, so they cannot
be re-keyed. Instead the derived key (which decrypts nothing) is kept on the link,
wrapped by the field keyring, and re-wrapped by the field rotation like any
encrypted value. Membership filters cannot be re-keyed without the version's
subject keys: see ``manage.py rebuild_membership_filters``.
"""

from django.db import transaction

from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from compliance.crypto.keyring import get_keyring

ACTOR = SystemActor("rotate_encryption_keys")


def keep_watermark_keys(batch_size: int, max_items: int | None) -> tuple[int, bool]:
    """Store the derived watermark key on every link lacking it whose field key is configured; return (links, done)."""
    from datasets.models import ShareLink
    from datasets.watermark import derived_key_text

    configured = list(get_keyring().by_id)
    missing = ShareLink.objects.filter(watermark_key__isnull=True, watermark_key_id__in=configured).order_by("pk")
    kept = 0
    while max_items is None or kept < max_items:
        limit = batch_size if max_items is None else min(batch_size, max_items - kept)
        with transaction.atomic():
            batch = list(missing.select_for_update()[:limit])
            for link in batch:
                link.watermark_key = derived_key_text(link.watermark_key_id)
                link.save(update_fields=["watermark_key"])
            if batch:
                record_event(
                    actor=ACTOR,
                    action="share_link.watermark_keys_kept",
                    data={"links": len(batch), "key_ids": sorted({link.watermark_key_id for link in batch})},
                )
        kept += len(batch)
        if len(batch) < limit:
            break
    return kept, not missing.exists()
