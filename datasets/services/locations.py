"""Writes about storage locations. Secrets go into the encrypted settings and nowhere else."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from compliance.audit.services import record_event
from datasets import connectors, permissions
from datasets.connectors import SubjectKeys
from datasets.locations import SECRET_SETTINGS, LocationInput, clean_location, location_input_from
from datasets.models import Dataset, ErasureMode, StorageLocation
from datasets.services.common import diff
from datasets.services.errors import RegistryActionRefused

# The clear fields an audit payload may carry; the connection settings never.
AUDITED_FIELDS = (
    "name",
    "kind",
    "display_target",
    "table",
    "path",
    "format",
    "key_pattern",
    "bucket",
    "prefix",
    "endpoint_url",
    "region",
    "subject_key",
    "subject_field",
    "erasure_mode",
    "anonymise_fields",
    "encrypted_at_rest",
)


def require_changeable(actor, dataset: Dataset, *, doing: str) -> None:
    """Refuse unless ``actor`` may edit ``dataset`` and it is active; ``doing`` completes "before …"."""
    permissions.require(
        actor, lambda user: permissions.can_change_dataset(user, dataset), f"You may not edit dataset {dataset.slug!r}."
    )
    if dataset.is_archived:
        raise RegistryActionRefused(f"Dataset {dataset.slug!r} is archived: restore it before {doing}.")


def _audited(location: StorageLocation) -> dict[str, Any]:
    return {name: getattr(location, name) for name in AUDITED_FIELDS}


def _refuse_duplicate_name(dataset: Dataset, name: str, *, exclude=None) -> None:
    others = StorageLocation.objects.filter(dataset=dataset, name=name)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise ValidationError({"name": [f"Dataset {dataset.slug!r} already has a location named {name!r}."]})


@transaction.atomic
def add_storage_location(
    *,
    actor,
    dataset: Dataset,
    name: str,
    kind: str,
    subject_key: str,
    subject_field: str = "",
    erasure_mode: str = ErasureMode.DELETE,
    anonymise_fields: Sequence[str] = (),
    encrypted_at_rest: bool = False,
    url: str = "",
    path: str = "",
    table: str = "",
    format: str = "",
    key_pattern: str = "",
    bucket: str = "",
    prefix: str = "",
    endpoint_url: str = "",
    region: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
) -> StorageLocation:
    """Register where the dataset is stored and how a subject's records are found there.

    ``url`` (postgresql, mysql, redis) and the S3 keys are encrypted and never
    shown back; the audit event and pages carry the redacted ``display_target``.
    ``subject_field`` defaults to the subject key's name (for Redis, the key
    pattern). Raises ValidationError keyed by field (see ``datasets.locations``).
    """
    require_changeable(actor, dataset, doing="adding locations")
    cleaned = clean_location(
        LocationInput(
            name=name,
            kind=kind,
            subject_key=subject_key,
            subject_field=subject_field,
            erasure_mode=erasure_mode,
            anonymise_fields=anonymise_fields,
            encrypted_at_rest=encrypted_at_rest,
            url=url,
            path=path,
            table=table,
            format=format,
            key_pattern=key_pattern,
            bucket=bucket,
            prefix=prefix,
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )
    )
    _refuse_duplicate_name(dataset, cleaned.fields["name"])
    location = StorageLocation(dataset=dataset, connection=cleaned.connection, **cleaned.fields)
    location.save()
    record_event(
        actor=actor,
        action="storage_location.added",
        target=location,
        data={"dataset": dataset.slug, **_audited(location), "has_secrets": cleaned.connection is not None},
    )
    return location


@transaction.atomic
def update_storage_location(*, actor, location: StorageLocation, changes: Mapping[str, Any]) -> StorageLocation:
    """Change a location's settings; secrets left out of ``changes`` (or empty) keep their value.

    The kind cannot change (add a new location instead). The audit event lists
    the clear fields that changed and the names, never the values, of the
    secrets replaced.
    """
    require_changeable(actor, location.dataset, doing="changing its locations")
    location = StorageLocation.objects.select_for_update().select_related("dataset").get(pk=location.pk)
    if "kind" in changes and changes["kind"] != location.kind:
        raise ValidationError({"kind": ["The kind of a location cannot change: add a new location instead."]})
    cleaned = clean_location(location_input_from(location, dict(changes)))
    _refuse_duplicate_name(location.dataset, cleaned.fields["name"], exclude=location)
    before = _audited(location)
    old_connection = location.connection or {}
    new_connection = cleaned.connection or {}
    secrets_replaced = sorted(name for name in SECRET_SETTINGS if old_connection.get(name) != new_connection.get(name))
    changed = diff(before, {name: cleaned.fields[name] for name in AUDITED_FIELDS if name in cleaned.fields})
    if not changed and not secrets_replaced:
        return location
    for name, value in cleaned.fields.items():
        setattr(location, name, value)
    location.connection = cleaned.connection
    location.save()
    record_event(
        actor=actor,
        action="storage_location.updated",
        target=location,
        data={"dataset": location.dataset.slug, "changes": changed, "secrets_replaced": secrets_replaced},
    )
    return location


@transaction.atomic
def remove_storage_location(*, actor, location: StorageLocation) -> None:
    """Delete a location from the registry; refused while other records (share links, erasure steps) point at it."""
    require_changeable(actor, location.dataset, doing="changing its locations")
    audited = _audited(location)
    location_id = location.pk
    try:
        with transaction.atomic():
            location.delete()
    except ProtectedError as error:
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        raise RegistryActionRefused(
            f"Location {location.name!r} is still referred to by {', '.join(kinds)}, so it stays in the registry."
        ) from None
    record_event(
        actor=actor,
        action="storage_location.removed",
        target=("datasets.storagelocation", location_id),
        data={"dataset": location.dataset.slug, **audited},
    )


@dataclass(frozen=True)
class ConnectionReport:
    """The result of testing a location: whether Custos reached and searched it, and what a person should read."""

    ok: bool
    message: str
    retryable: bool = False


def test_location_connection(*, actor, location: StorageLocation) -> ConnectionReport:
    """Check that Custos can reach and search ``location`` by discovering a subject key that cannot exist.

    The store is only read. The audit event says whether it worked and, if
    not, the connector's message, which never carries a secret.
    """
    permissions.require(
        actor,
        lambda user: permissions.can_change_dataset(user, location.dataset),
        f"You may not test the locations of dataset {location.dataset.slug!r}.",
    )
    probe = SubjectKeys(**{location.subject_key: f"custos-connection-test-{uuid.uuid4().hex}"})
    try:
        found = connectors.discover(location, probe)
    except connectors.ConnectorError as error:
        report = ConnectionReport(ok=False, message=error.message, retryable=isinstance(error, connectors.TransientError))
    else:
        report = ConnectionReport(
            ok=True,
            message=f"Custos reached {location.name} and searched it for a subject ({found.records} records of a made-up key found).",
        )
    # The store is asked outside the transaction: a slow store must not hold the database's write lock.
    with transaction.atomic():
        record_event(
            actor=actor,
            action="storage_location.connection_tested",
            target=location,
            data={"dataset": location.dataset.slug, "kind": location.kind, "ok": report.ok, "error": "" if report.ok else report.message},
        )
    return report


# Not a pytest test, whatever its name says.
test_location_connection.__test__ = False
