"""Re-encrypting every encrypted field under the active key, in resumable batches."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q

from compliance.audit.services import record_event
from compliance.crypto.fields import BlindIndexField, encrypted_fields
from compliance.crypto.keyring import TOKEN_SEPARATOR, get_keyring


@dataclass
class RotationResult:
    rows_moved: int = 0
    per_model: dict[str, int] = field(default_factory=dict)
    complete: bool = True
    per_artefact: dict[str, int] = field(default_factory=dict)


# What else holds something under a field key (files on disk, keys derived from it), registered
# by the apps that own it in their AppConfig.ready(): label -> rotate(batch_size, max_items) ->
# (moved, complete). Run before the fields, while the old key is still configured; each must be
# resumable (skip what is already under the active key) and commit its own batches.
ARTEFACT_ROTATORS: dict[str, Callable[[int, int | None], tuple[int, bool]]] = {}


def register_artefact(label: str, rotate: Callable[[int, int | None], tuple[int, bool]]) -> None:
    """Have ``rotate_encryption_keys`` also move the artefacts ``label`` with ``rotate``."""
    ARTEFACT_ROTATORS[label] = rotate


def encrypted_models() -> list[type[models.Model]]:
    """Return every installed model that declares an encrypted field."""
    return [model for model in apps.get_models() if encrypted_fields(model)]


def stale_rows(model: type[models.Model]) -> models.QuerySet:
    """Return rows of ``model`` with at least one token not under the active key."""
    prefix = get_keyring().active.key_id + TOKEN_SEPARATOR
    condition = Q()
    for encrypted in encrypted_fields(model):
        condition |= Q(**{f"{encrypted.attname}__isnull": False}) & ~Q(**{f"{encrypted.attname}__startswith": prefix})
    return model._default_manager.filter(condition)


def _rotate_batch(model: type[models.Model], batch_size: int, after_pk) -> list:
    """Re-encrypt up to ``batch_size`` stale rows with pk above ``after_pk``; return their pks."""
    encrypted = encrypted_fields(model)
    indexes = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    update_fields = [f.attname for f in encrypted] + [f.attname for f in indexes]
    rows = stale_rows(model).order_by("pk")
    if after_pk is not None:
        rows = rows.filter(pk__gt=after_pk)
    with transaction.atomic():
        batch = list(rows.select_for_update()[:batch_size])
        for row in batch:
            for encrypted_field in encrypted:
                # Reading decrypts; pre_save then seals the plaintext under the active key.
                setattr(row, encrypted_field.attname, getattr(row, encrypted_field.attname))
            row.save(update_fields=update_fields)
    return [row.pk for row in batch]


def rotate_encryption_keys(*, actor, batch_size: int = 500, max_rows: int | None = None) -> RotationResult:
    """Re-encrypt every stale token under the active key and recompute blind indexes.

    Each batch commits on its own, so an interrupted run loses nothing and the
    next run picks up the rows still under an old key. ``max_rows`` stops early
    (to spread the work over several runs); the result says whether it finished.
    """
    result = RotationResult()
    artefacts_complete = True
    for label, rotate in sorted(ARTEFACT_ROTATORS.items()):
        moved, finished = rotate(batch_size, max_rows)
        artefacts_complete &= finished
        if moved:
            result.per_artefact[label] = moved
    for model in encrypted_models():
        label = model._meta.label
        moved = 0
        after_pk = None  # keyset walk: each row is visited once per run, whatever happens to it
        while max_rows is None or result.rows_moved < max_rows:
            limit = batch_size if max_rows is None else min(batch_size, max_rows - result.rows_moved)
            pks = _rotate_batch(model, limit, after_pk)
            moved += len(pks)
            result.rows_moved += len(pks)
            if len(pks) < limit:
                break
            after_pk = pks[-1]
        if moved:
            result.per_model[label] = moved
    result.complete = artefacts_complete and not any(stale_rows(model).exists() for model in encrypted_models())
    if result.rows_moved or result.per_artefact:
        record_event(
            actor=actor,
            action="crypto.keys_rotated",
            data={
                "active_key_id": get_keyring().active.key_id,
                "rows_moved": result.rows_moved,
                "per_model": result.per_model,
                "per_artefact": result.per_artefact,
                "complete": result.complete,
            },
        )
    return result
