"""Writes about datasets: creating, editing, archiving, and who may see them."""

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.shortcuts import get_perms

from compliance.accounts.roles import Role
from compliance.audit.services import record_event
from datasets import permissions
from datasets.fields import clean_choice_list
from datasets.models import (
    AnonymisationTechnique,
    DataCategory,
    Dataset,
    LawfulBasis,
    Regulation,
    RetentionAction,
    Sensitivity,
)
from datasets.permissions import DATASET_OBJECT_PERMISSIONS
from datasets.regulations import clean_jurisdictions, derive_regulations
from datasets.services.common import (
    FieldErrors,
    clean_choice,
    clean_number,
    clean_slug,
    audited_changes,
    clean_text,
    distinct,
    require_role,
    save_values,
    unique_slug,
)
from datasets.services.errors import RegistryActionRefused

PURPOSE_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_RETENTION_DAYS = 36_500

# What update_dataset accepts; the slug is permanent (addresses and the API use it).
EDITABLE_FIELDS = (
    "name",
    "description",
    "owner",
    "data_categories",
    "sensitivity",
    "subject_jurisdictions",
    "regulations",
    "regulations_override",
    "lawful_bases",
    "purposes",
    "retention_days",
    "retention_action",
    "source",
    "collection_channel",
    "encryption_at_rest",
    "encryption_in_transit",
    "anonymisation_technique",
    "anonymisation_k",
    "anonymisation_epsilon",
    "anonymisation_delta",
    "privacy_budget_epsilon",
)
AccessLevel = Literal["view", "change"]


def _clean_purposes(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValidationError("Give the purposes as a list of purpose codes.")
    codes = distinct(str(code).strip() for code in value if str(code).strip())
    bad = [code for code in codes if not PURPOSE_CODE.match(code)]
    if bad:
        raise ValidationError(
            f"Not a purpose code: {', '.join(bad)}. Purpose codes are lower-case letters, digits, hyphens and"
            " underscores, for example marketing or model-training."
        )
    return codes


def _clean_owner(owner):
    if owner is None:
        return None
    require_role(owner, Role.DATA_STEWARD, message=f"The owner must be a data steward; {owner} is not.")
    return owner


def _clean_protection(values: dict[str, Any], errors: FieldErrors) -> None:
    technique = errors.check(
        "anonymisation_technique",
        lambda: clean_choice(values["anonymisation_technique"], AnonymisationTechnique, label="anonymisation technique"),
        AnonymisationTechnique.NONE,
    )
    values["anonymisation_technique"] = technique
    k = values.get("anonymisation_k")
    epsilon, delta = values.get("anonymisation_epsilon"), values.get("anonymisation_delta")
    if technique == AnonymisationTechnique.K_ANONYMITY:
        values["anonymisation_k"] = errors.check(
            "anonymisation_k", lambda: clean_number(k, label="k of k-anonymity", minimum=2, whole=True)
        )
        if values["anonymisation_k"] is None and "anonymisation_k" not in errors.by_field:
            errors.add("anonymisation_k", "k-anonymity needs k, the smallest group size (2 or more).")
    elif k not in (None, ""):
        errors.add("anonymisation_k", "k applies only to k-anonymity.")
    else:
        values["anonymisation_k"] = None
    if technique == AnonymisationTechnique.DIFFERENTIAL_PRIVACY:
        values["anonymisation_epsilon"] = errors.check(
            "anonymisation_epsilon", lambda: clean_number(epsilon, label="ε", above=0)
        )
        if values["anonymisation_epsilon"] is None and "anonymisation_epsilon" not in errors.by_field:
            errors.add("anonymisation_epsilon", "Differential privacy needs its ε (a number above 0).")
        cleaned_delta = errors.check("anonymisation_delta", lambda: clean_number(delta, label="δ", minimum=0, below=1))
        values["anonymisation_delta"] = 0.0 if cleaned_delta is None else cleaned_delta
    elif epsilon not in (None, "") or delta not in (None, ""):
        errors.add("anonymisation_epsilon", "ε and δ apply only to differential privacy.")
    else:
        values["anonymisation_epsilon"] = values["anonymisation_delta"] = None


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    """Return the dataset's field values validated and normalised; raise ValidationError keyed by field."""
    errors = FieldErrors()
    cleaned = dict(values)
    cleaned["name"] = errors.check("name", lambda: clean_text(values["name"], label="dataset's name", max_length=200, required=True), "")
    cleaned["description"] = errors.check("description", lambda: clean_text(values["description"], label="description", max_length=20_000), "")
    cleaned["owner"] = errors.check("owner", lambda: _clean_owner(values["owner"]))
    cleaned["data_categories"] = errors.check(
        "data_categories", lambda: clean_choice_list(values["data_categories"], DataCategory, label="data categories"), []
    )
    cleaned["sensitivity"] = errors.check("sensitivity", lambda: clean_choice(values["sensitivity"], Sensitivity, label="sensitivity"))
    cleaned["subject_jurisdictions"] = errors.check(
        "subject_jurisdictions", lambda: clean_jurisdictions(values["subject_jurisdictions"]), []
    )
    cleaned["lawful_bases"] = errors.check(
        "lawful_bases", lambda: clean_choice_list(values["lawful_bases"], LawfulBasis, label="lawful bases"), []
    )
    cleaned["purposes"] = errors.check("purposes", lambda: _clean_purposes(values["purposes"]), [])
    cleaned["regulations_override"] = bool(values["regulations_override"])
    if cleaned["regulations_override"]:
        cleaned["regulations"] = errors.check(
            "regulations", lambda: clean_choice_list(values["regulations"], Regulation, label="regulations"), []
        )
    else:
        cleaned["regulations"] = derive_regulations(
            data_categories=cleaned["data_categories"], jurisdictions=cleaned["subject_jurisdictions"]
        )
    cleaned["retention_days"] = errors.check(
        "retention_days",
        lambda: clean_number(values["retention_days"], label="retention period in days", minimum=1, maximum=MAX_RETENTION_DAYS, whole=True),
    )
    cleaned["retention_action"] = errors.check(
        "retention_action", lambda: clean_choice(values["retention_action"], RetentionAction, label="retention action")
    )
    for name, label in (("source", "source"), ("collection_channel", "collection channel")):
        cleaned[name] = errors.check(name, lambda name=name, label=label: clean_text(values[name], label=label, max_length=200), "")
    cleaned["encryption_at_rest"] = errors.check(
        "encryption_at_rest", lambda: clean_text(values["encryption_at_rest"], label="encryption algorithm", max_length=100), ""
    )
    cleaned["encryption_in_transit"] = bool(values["encryption_in_transit"])
    _clean_protection(cleaned, errors)
    cleaned["privacy_budget_epsilon"] = errors.check(
        "privacy_budget_epsilon", lambda: clean_number(values["privacy_budget_epsilon"], label="privacy budget ε", above=0)
    )
    errors.raise_if_any()
    return cleaned


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    """Return the dataset's values as they go in audit payloads (the owner by id, no long text)."""
    payload = {name: value for name, value in values.items() if name not in ("owner", "description")}
    owner = values.get("owner")
    payload["owner"] = getattr(owner, "pk", owner)
    return payload


def _current_values(dataset: Dataset) -> dict[str, Any]:
    return {name: getattr(dataset, name) for name in EDITABLE_FIELDS}


@transaction.atomic
def create_dataset(
    *,
    actor,
    name: str,
    slug: str = "",
    owner=None,
    description: str = "",
    data_categories: Sequence[str] = (),
    sensitivity: str = Sensitivity.INTERNAL,
    subject_jurisdictions: Sequence[str] = (),
    regulations: Sequence[str] | None = None,
    lawful_bases: Sequence[str] = (),
    purposes: Sequence[str] = (),
    retention_days: int | None = None,
    retention_action: str = RetentionAction.REVIEW,
    source: str = "",
    collection_channel: str = "",
    encryption_at_rest: str = "",
    encryption_in_transit: bool = False,
    anonymisation_technique: str = AnonymisationTechnique.NONE,
    anonymisation_k: int | None = None,
    anonymisation_epsilon: float | None = None,
    anonymisation_delta: float | None = None,
    privacy_budget_epsilon: float | None = None,
) -> Dataset:
    """Register a dataset and give its owner view and change permissions on it.

    The slug is derived from the name when not given. Regulations are derived
    from the categories and jurisdictions unless ``regulations`` is given, which
    sets ``regulations_override``. When the actor is a data steward and no owner
    is named, the actor owns the dataset. Raises ValidationError keyed by field.
    """
    permissions.require_global(actor, "datasets.add_dataset", "You may not register datasets.")
    if owner is None and permissions.is_person(actor) and actor.has_role(Role.DATA_STEWARD):
        owner = actor
    values = {
        "name": name,
        "description": description,
        "owner": owner,
        "data_categories": data_categories,
        "sensitivity": sensitivity,
        "subject_jurisdictions": subject_jurisdictions,
        "regulations": regulations,
        "regulations_override": regulations is not None,
        "lawful_bases": lawful_bases,
        "purposes": purposes,
        "retention_days": retention_days,
        "retention_action": retention_action,
        "source": source,
        "collection_channel": collection_channel,
        "encryption_at_rest": encryption_at_rest,
        "encryption_in_transit": encryption_in_transit,
        "anonymisation_technique": anonymisation_technique,
        "anonymisation_k": anonymisation_k,
        "anonymisation_epsilon": anonymisation_epsilon,
        "anonymisation_delta": anonymisation_delta,
        "privacy_budget_epsilon": privacy_budget_epsilon,
    }
    errors = FieldErrors()
    cleaned_slug = ""
    if slug:
        cleaned_slug = errors.check("slug", lambda: clean_slug(slug, model=Dataset, label="dataset"), "")
    cleaned = errors.collect(lambda: _clean_values(values))
    errors.raise_if_any()
    dataset = Dataset.objects.create(slug=cleaned_slug or unique_slug(cleaned["name"], model=Dataset, fallback="dataset"), **cleaned)
    if dataset.owner is not None:
        permissions.give_object_permissions(dataset.owner, dataset, DATASET_OBJECT_PERMISSIONS["change"])
    record_event(
        actor=actor,
        action="dataset.created",
        target=dataset,
        data={"slug": dataset.slug, **_audit_values(cleaned)},
    )
    return dataset


@transaction.atomic
def update_dataset(*, actor, dataset: Dataset, changes: Mapping[str, Any]) -> Dataset:
    """Change the fields in ``changes`` (names from EDITABLE_FIELDS) and return the dataset.

    Setting ``regulations`` marks them as overridden; setting
    ``regulations_override`` to False derives them again. A new owner gets view
    and change permissions and the previous owner loses them. The audit event
    carries the changed fields, before and after. Raises ValidationError keyed
    by field, ValueError for a field that cannot be edited.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"These dataset fields cannot be edited: {', '.join(sorted(unknown))}.")
    permissions.require(
        actor, lambda user: permissions.can_change_dataset(user, dataset), f"You may not edit dataset {dataset.slug!r}."
    )
    dataset = Dataset.objects.select_for_update(of=("self",)).select_related("owner").get(pk=dataset.pk)
    before = _current_values(dataset)
    values = {**before, **changes}
    if "regulations" in changes and "regulations_override" not in changes:
        values["regulations_override"] = True
    cleaned = _clean_values(values)
    changed = audited_changes(before, cleaned, summarise=_audit_values, long_text="description")
    if not changed:
        return dataset
    save_values(dataset, cleaned)
    if before["owner"] != cleaned["owner"]:
        if before["owner"] is not None:
            permissions.take_object_permissions(before["owner"], dataset, DATASET_OBJECT_PERMISSIONS["change"])
        if cleaned["owner"] is not None:
            permissions.give_object_permissions(cleaned["owner"], dataset, DATASET_OBJECT_PERMISSIONS["change"])
    record_event(actor=actor, action="dataset.updated", target=dataset, data={"slug": dataset.slug, "changes": changed})
    return dataset


def _set_status(*, actor, dataset: Dataset, status: str, action: str, reason: str) -> Dataset:
    permissions.require(
        actor, lambda user: permissions.can_change_dataset(user, dataset), f"You may not edit dataset {dataset.slug!r}."
    )
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if dataset.status == status:
        state = "already archived" if status == Dataset.Status.ARCHIVED else "not archived"
        raise RegistryActionRefused(f"Dataset {dataset.slug!r} is {state}.")
    dataset.status = status
    dataset.save(update_fields=["status", "updated_at"])
    record_event(actor=actor, action=action, target=dataset, data={"slug": dataset.slug, "reason": reason.strip()})
    return dataset


@transaction.atomic
def archive_dataset(*, actor, dataset: Dataset, reason: str = "") -> Dataset:
    """Mark the dataset archived: kept for the record, closed to new locations, versions and share links."""
    return _set_status(actor=actor, dataset=dataset, status=Dataset.Status.ARCHIVED, action="dataset.archived", reason=reason)


@transaction.atomic
def restore_dataset(*, actor, dataset: Dataset, reason: str = "") -> Dataset:
    """Make an archived dataset active again."""
    return _set_status(actor=actor, dataset=dataset, status=Dataset.Status.ACTIVE, action="dataset.restored", reason=reason)


@transaction.atomic
def grant_dataset_access(*, actor, dataset: Dataset, user, level: AccessLevel = "change") -> bool:
    """Let a data steward see (``view``) or also edit (``change``) the dataset; return whether anything changed.

    Allowed to the dataset's owner and to holders of ``manage_dataset_access``
    (the DPO). Other roles see every dataset already and are not granted one.
    """
    if level not in DATASET_OBJECT_PERMISSIONS:
        raise ValueError(f"Unknown access level {level!r}; use 'view' or 'change'.")
    permissions.require(
        actor,
        lambda person: permissions.can_manage_dataset_access(person, dataset),
        f"You may not grant access to dataset {dataset.slug!r}.",
    )
    require_role(user, Role.DATA_STEWARD, message=f"Datasets are granted to data stewards; {user} is not one.")
    held = set(get_perms(user, dataset))
    wanted = set(DATASET_OBJECT_PERMISSIONS[level])
    if held == wanted:
        return False
    if dataset.owner_id == user.pk and level == "view":
        raise RegistryActionRefused(f"{user} owns dataset {dataset.slug!r} and keeps the right to edit it.")
    permissions.take_object_permissions(user, dataset, held - wanted)
    permissions.give_object_permissions(user, dataset, wanted - held)
    record_event(
        actor=actor,
        action="dataset.access_granted",
        target=dataset,
        data={"slug": dataset.slug, "user": user.pk, "level": level},
    )
    return True


@transaction.atomic
def revoke_dataset_access(*, actor, dataset: Dataset, user) -> bool:
    """Take a steward's access to the dataset away; return whether they had any.

    The owner keeps access: choose another owner first.
    """
    permissions.require(
        actor,
        lambda person: permissions.can_manage_dataset_access(person, dataset),
        f"You may not change access to dataset {dataset.slug!r}.",
    )
    if dataset.owner_id == user.pk:
        raise RegistryActionRefused(
            f"{user} owns dataset {dataset.slug!r}: choose another owner before taking their access away."
        )
    if not get_perms(user, dataset):
        return False
    permissions.take_object_permissions(user, dataset, DATASET_OBJECT_PERMISSIONS["change"])
    record_event(actor=actor, action="dataset.access_revoked", target=dataset, data={"slug": dataset.slug, "user": user.pk})
    return True
