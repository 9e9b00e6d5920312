"""Writes about dataset versions: registering them (by hand or from DVC), lineage edges, membership filters."""

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from compliance.audit.services import record_event
from compliance.crypto.blind_index import NormalisationError, normalise
from datasets import permissions
from datasets.dvc import DvcFileError, choose_output, parse_dvc_file
from datasets.membership import DEFAULT_FALSE_POSITIVE_RATE, BuiltFilter, build_filter, stored_filter_might_contain
from datasets.models import (
    Dataset,
    DatasetVersion,
    MembershipFilter,
    SubjectKey,
    VersionParent,
    VersionSource,
)
from datasets.services.common import FieldErrors, clean_choice, clean_number, clean_text
from datasets.services.errors import RegistryActionRefused
from datasets.services.locations import require_changeable

VERSION_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_SCHEMA_SUMMARY_BYTES = 64_000
MAX_TRANSFORMATION_LENGTH = 2_000


@dataclass(frozen=True)
class ParentLink:
    """A version the new one was derived from, and how."""

    version: DatasetVersion
    transformation: str = ""


def _links(parents: Sequence[DatasetVersion | ParentLink]) -> list[ParentLink]:
    links: dict[int, ParentLink] = {}
    for parent in parents:
        link = parent if isinstance(parent, ParentLink) else ParentLink(version=parent)
        links.setdefault(link.version.pk, link)
    return list(links.values())


def _require_visible_parent(actor, parent: DatasetVersion) -> None:
    permissions.require(
        actor,
        lambda user: permissions.can_view_dataset(user, parent.dataset),
        f"You may not derive from versions of dataset {parent.dataset.slug!r}.",
    )


def _clean_label(dataset: Dataset, label: str) -> str:
    label = str(label or "").strip()
    if not VERSION_LABEL.match(label):
        raise ValidationError(
            "A version label is 1 to 100 letters, digits, dots, hyphens and underscores, starting with a letter or"
            " digit, for example v3 or 2026-03-01."
        )
    if label in DatasetVersion.RESERVED_LABELS:
        raise ValidationError(f"{label!r} names a page of its own and cannot be a version label; choose another.")
    if DatasetVersion.objects.filter(dataset=dataset, label=label).exists():
        raise ValidationError(f"Dataset {dataset.slug!r} already has a version labelled {label!r}.")
    return label


def _clean_digest(value: str) -> str:
    digest = str(value or "").strip().lower().removeprefix("sha256:")
    if digest and not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValidationError("The content digest must be a SHA-256: 64 hexadecimal digits.")
    return digest


def _clean_schema(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict | list):
        raise ValidationError("The schema summary must be a JSON object (column → type) or a list.")
    try:
        encoded = json.dumps(value)
    except (TypeError, ValueError):
        raise ValidationError("The schema summary must be plain JSON.") from None
    if len(encoded) > MAX_SCHEMA_SUMMARY_BYTES:
        raise ValidationError(f"The schema summary is larger than {MAX_SCHEMA_SUMMARY_BYTES:,} bytes of JSON.")
    return value


def _would_loop(*, child: DatasetVersion, parent: DatasetVersion) -> bool:
    """Return whether ``parent`` already derives (at any depth) from ``child``."""
    frontier = {parent.pk}
    seen = set(frontier)
    while frontier:
        if child.pk in frontier:
            return True
        upward = set(VersionParent.objects.filter(child_id__in=frontier).values_list("parent_id", flat=True))
        frontier = upward - seen
        seen |= frontier
    return False


def _store_filter(version: DatasetVersion, built: BuiltFilter) -> dict[str, Any]:
    """Save ``built`` as the version's membership filter; return its figures for the audit payload."""
    membership = MembershipFilter.objects.create(
        version=version,
        subject_key=built.subject_key,
        bits=bytes(built.bloom.bits),
        size_bits=built.bloom.size_bits,
        hash_count=built.bloom.hash_count,
        expected_items=built.expected_items,
        false_positive_rate=built.false_positive_rate,
        key_id=built.key_id,
        probe_scheme=built.bloom.probe_scheme,
    )
    return {
        "subject_key": membership.subject_key,
        "subjects": membership.expected_items,
        "false_positive_rate": membership.false_positive_rate,
        "size_bits": membership.size_bits,
        "hash_count": membership.hash_count,
        "key_id": membership.key_id,
    }


def _create_version(
    *,
    actor,
    dataset: Dataset,
    label: str,
    content_digest: str,
    row_count: int | None,
    schema_summary: Any,
    parents: Sequence[DatasetVersion | ParentLink],
    subject_keys: Iterable[str] | None,
    subject_key: str,
    false_positive_rate: float,
    source: str,
    notes: str,
    created_at: datetime | None,
    dvc: dict[str, Any] | None = None,
) -> DatasetVersion:
    require_changeable(actor, dataset, doing="adding versions")
    errors = FieldErrors()
    label = errors.check("label", lambda: _clean_label(dataset, label), "")
    digest = errors.check("content_digest", lambda: _clean_digest(content_digest), "")
    rows = errors.check("row_count", lambda: clean_number(row_count, label="row count", minimum=0, whole=True))
    schema = errors.check("schema_summary", lambda: _clean_schema(schema_summary), {})
    source = errors.check("source", lambda: clean_choice(source, VersionSource, label="source"), VersionSource.MANUAL)
    notes = errors.check("notes", lambda: clean_text(notes, label="notes", max_length=20_000), "")
    links = _links(parents)
    for link in links:
        if len(link.transformation) > MAX_TRANSFORMATION_LENGTH:
            errors.add("parents", f"A transformation note is limited to {MAX_TRANSFORMATION_LENGTH:,} characters.")
    built = None
    if subject_keys is not None:
        if errors.check("subject_key", lambda: clean_choice(subject_key, SubjectKey, label="subject key")) is not None:
            built = errors.check(
                "subject_keys",
                lambda: build_filter(subject_keys, subject_key=subject_key, false_positive_rate=false_positive_rate),
            )
    errors.raise_if_any()
    for link in links:
        _require_visible_parent(actor, link.version)

    version = DatasetVersion.objects.create(
        dataset=dataset,
        label=label,
        created_at=created_at or timezone.now(),
        created_by=actor if permissions.is_person(actor) else None,
        content_digest=digest,
        row_count=rows,
        schema_summary=schema,
        source=source,
        source_path=(dvc or {}).get("path", ""),
        source_hash=(dvc or {}).get("hash", ""),
        size_bytes=(dvc or {}).get("size"),
        notes=notes,
    )
    VersionParent.objects.bulk_create(
        [VersionParent(child=version, parent=link.version, transformation=link.transformation.strip()) for link in links]
    )
    payload: dict[str, Any] = {
        "dataset": dataset.slug,
        "label": version.label,
        "source": version.source,
        "content_digest": version.content_digest,
        "row_count": version.row_count,
        "parents": [link.version.pk for link in links],
    }
    if dvc is not None:
        payload["dvc"] = dvc
    if built is not None:
        payload["membership_filter"] = _store_filter(version, built)
    record_event(actor=actor, action="dataset_version.created", target=version, data=payload)
    return version


@transaction.atomic
def create_version(
    *,
    actor,
    dataset: Dataset,
    label: str,
    content_digest: str = "",
    row_count: int | None = None,
    schema_summary: dict | list | None = None,
    parents: Sequence[DatasetVersion | ParentLink] = (),
    subject_keys: Iterable[str] | None = None,
    subject_key: str = SubjectKey.EXTERNAL_ID,
    false_positive_rate: float = DEFAULT_FALSE_POSITIVE_RATE,
    source: str = VersionSource.MANUAL,
    notes: str = "",
    created_at: datetime | None = None,
) -> DatasetVersion:
    """Register a version of the dataset, derived from ``parents``.

    With ``subject_keys`` (identifiers of kind ``subject_key``), build the
    version's membership filter sized for ``false_positive_rate``. A new
    version has no children, so its parents cannot close a loop. Raises
    ValidationError keyed by field.
    """
    return _create_version(
        actor=actor,
        dataset=dataset,
        label=label,
        content_digest=content_digest,
        row_count=row_count,
        schema_summary=schema_summary,
        parents=parents,
        subject_keys=subject_keys,
        subject_key=subject_key,
        false_positive_rate=false_positive_rate,
        source=source,
        notes=notes,
        created_at=created_at,
    )


def _versions_with_hashes(actor, hashes: set[str]) -> dict[str, DatasetVersion]:
    """Return the newest visible version per DVC hash among ``hashes``."""
    if not hashes:
        return {}
    candidates = DatasetVersion.objects.filter(source_hash__in=hashes).select_related("dataset")
    if permissions.is_person(actor):
        candidates = candidates.filter(dataset__in=get_objects_for_user(actor, "datasets.view_dataset", klass=Dataset))
    found: dict[str, DatasetVersion] = {}
    for version in candidates.order_by("created_at", "pk"):
        found[version.source_hash] = version
    return found


@transaction.atomic
def import_dvc_version(
    *,
    actor,
    dataset: Dataset,
    label: str,
    filename: str,
    content: bytes | str,
    output_path: str = "",
    parents: Sequence[DatasetVersion | ParentLink] = (),
    subject_keys: Iterable[str] | None = None,
    subject_key: str = SubjectKey.EXTERNAL_ID,
    false_positive_rate: float = DEFAULT_FALSE_POSITIVE_RATE,
) -> DatasetVersion:
    """Register a version from a DVC ``.dvc`` file or ``dvc.lock`` (path, hash and size of one output).

    A file with several outputs needs ``output_path``. For a ``dvc.lock``
    stage, registered versions whose DVC hash matches one of the stage's
    dependencies become parents, with the stage's command as the
    transformation. Malformed files are refused with a ValidationError under
    ``dvc_file`` naming the problem.
    """
    try:
        output = choose_output(parse_dvc_file(content, filename=filename), filename=filename, path=output_path)
    except DvcFileError as error:
        raise ValidationError({"dvc_file": [str(error)]}) from None
    links = _links(parents)
    known = {link.version.pk for link in links}
    transformation = f"DVC stage {output.stage}: {output.command}".strip()[:MAX_TRANSFORMATION_LENGTH] if output.stage else ""
    matches = _versions_with_hashes(actor, {dependency.hash for dependency in output.dependencies})
    for dependency in output.dependencies:
        parent = matches.get(dependency.hash)
        if parent is not None and parent.pk not in known:
            links.append(ParentLink(version=parent, transformation=transformation))
            known.add(parent.pk)
    dvc = {
        "file": filename,
        "path": output.entry.path,
        "hash": output.entry.hash,
        "size": output.entry.size,
        "stage": output.stage,
    }
    return _create_version(
        actor=actor,
        dataset=dataset,
        label=label,
        content_digest="",
        row_count=None,
        schema_summary=None,
        parents=links,
        subject_keys=subject_keys,
        subject_key=subject_key,
        false_positive_rate=false_positive_rate,
        source=VersionSource.DVC,
        notes="",
        created_at=None,
        dvc=dvc,
    )


@transaction.atomic
def attach_membership_filter(
    *,
    actor,
    version: DatasetVersion,
    subject_keys: Iterable[str],
    subject_key: str = SubjectKey.EXTERNAL_ID,
    false_positive_rate: float = DEFAULT_FALSE_POSITIVE_RATE,
) -> MembershipFilter:
    """Give an existing version its membership filter, built from the subject keys it holds.

    A version's filter describes a fixed snapshot, so one that has a filter is
    refused rather than silently rebuilt. Raises ValidationError keyed by field.
    """
    require_changeable(actor, version.dataset, doing="changing its versions")
    version = DatasetVersion.objects.select_for_update().select_related("dataset").get(pk=version.pk)
    if MembershipFilter.objects.filter(version=version).exists():
        raise RegistryActionRefused(f"Version {version} already has a membership filter.")
    errors = FieldErrors()
    subject_key = errors.check("subject_key", lambda: clean_choice(subject_key, SubjectKey, label="subject key"))
    errors.raise_if_any()
    built = errors.check(
        "subject_keys",
        lambda: build_filter(subject_keys, subject_key=subject_key, false_positive_rate=false_positive_rate),
    )
    errors.raise_if_any()
    figures = _store_filter(version, built)
    record_event(
        actor=actor,
        action="dataset_version.membership_filter_added",
        target=version,
        data={"dataset": version.dataset.slug, "label": version.label, "membership_filter": figures},
    )
    return version.membership_filter


@transaction.atomic
def check_version_membership(*, actor, version: DatasetVersion, subject_key: str, value: str) -> bool:
    """Answer whether the subject with identifier ``value`` may be in ``version``, from its membership filter.

    True means possibly present (false at about the filter's false-positive
    rate), False means certainly absent. The lookup is audited without the
    identifier, neither in clear nor as a blind index. Raises ValidationError
    under ``value`` for an identifier that is not of kind ``subject_key``, and
    RegistryActionRefused when the version has no filter or the filter is
    keyed by another kind of identifier, or under a key no longer configured.
    """
    permissions.require(
        actor,
        lambda user: permissions.can_view_dataset(user, version.dataset),
        f"You may not look into dataset {version.dataset.slug!r}.",
    )
    membership = MembershipFilter.objects.filter(version=version).first()
    if membership is None:
        raise RegistryActionRefused(f"Version {version} has no membership filter, so it cannot answer for a subject.")
    if subject_key != membership.subject_key:
        kind = SubjectKey(membership.subject_key).label.lower()
        raise RegistryActionRefused(f"The membership filter of {version} is keyed by {kind}: look the subject up by their {kind}.")
    try:
        normalise(value, subject_key)
    except NormalisationError as error:
        raise ValidationError({"value": [str(error)]}) from None
    try:
        present = stored_filter_might_contain(membership, value)
    except KeyError:
        raise RegistryActionRefused(
            f"The membership filter of {version} was built under key {membership.key_id}, which is no longer configured:"
            " it cannot be read until that key is restored to FIELD_ENCRYPTION_KEYS."
        ) from None
    record_event(
        actor=actor,
        action="dataset_version.membership_checked",
        target=version,
        data={
            "dataset": version.dataset.slug,
            "label": version.label,
            "subject_key": subject_key,
            "answer": "possibly_present" if present else "not_present",
        },
    )
    return present


@transaction.atomic
def add_lineage_edge(*, actor, child: DatasetVersion, parent: DatasetVersion, transformation: str = "") -> VersionParent:
    """Record that ``child`` was derived from ``parent``; refuse an edge that would make lineage loop."""
    permissions.require(
        actor,
        lambda user: permissions.can_change_dataset(user, child.dataset),
        f"You may not edit dataset {child.dataset.slug!r}.",
    )
    _require_visible_parent(actor, parent)
    if child.pk == parent.pk:
        raise RegistryActionRefused("A version cannot be derived from itself.")
    # Lock both ends in a fixed order, so two opposite edges added at once cannot both pass the loop check.
    list(DatasetVersion.objects.select_for_update().filter(pk__in=[child.pk, parent.pk]).order_by("pk"))
    if VersionParent.objects.filter(child=child, parent=parent).exists():
        raise RegistryActionRefused(f"{child} is already recorded as derived from {parent}.")
    if _would_loop(child=child, parent=parent):
        raise RegistryActionRefused(
            f"{parent} is itself derived from {child}, so {child} cannot be derived from it: lineage cannot loop."
        )
    transformation = clean_text(transformation, label="transformation", max_length=MAX_TRANSFORMATION_LENGTH)
    edge = VersionParent.objects.create(child=child, parent=parent, transformation=transformation)
    record_event(
        actor=actor,
        action="dataset_version.lineage_added",
        target=child,
        data={"child": child.pk, "parent": parent.pk, "transformation": transformation},
    )
    return edge
