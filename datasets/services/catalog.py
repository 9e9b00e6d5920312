"""Writes from catalog files: importing many datasets at once, and recording an export."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from compliance.audit.services import record_event
from datasets import permissions
from datasets.catalog_sync import FIELD_TO_COLUMN, CatalogRow, RowError, RowOutcome, SyncReport
from datasets.models import Dataset
from datasets.services.datasets import create_dataset, update_dataset
from datasets.services.errors import RegistryActionRefused


def _owners(rows: Sequence[CatalogRow]) -> dict[str, Any]:
    usernames = {row.values["owner"] for row in rows if row.values.get("owner")}
    User = get_user_model()
    return {user.get_username(): user for user in User.objects.filter(username__in=usernames)}


def _messages_by_column(error: ValidationError) -> dict[str, list[str]]:
    if not hasattr(error, "error_dict"):
        return {"row": list(error.messages)}
    return {
        ("row" if name == "__all__" else FIELD_TO_COLUMN.get(name, name)): list(messages)
        for name, messages in error.message_dict.items()
    }


def _values_for_service(row: CatalogRow, owners: Mapping[str, Any]) -> dict[str, Any]:
    """Return the row's values as the services take them: the owner as an account, regulations as overridden or not."""
    values = dict(row.values)
    if "owner" in values:
        username = values["owner"]
        if username and username not in owners:
            raise ValidationError({"owner": [f"No account is named {username!r}."]})
        values["owner"] = owners.get(username) if username else None
    if values.get("regulations_override") is False:
        values.pop("regulations", None)
    elif "regulations" in values and "regulations_override" not in values:
        # Without the override column, listing regulations sets them; an empty cell derives them again.
        values["regulations_override"] = bool(values["regulations"])
        if not values["regulations"]:
            values.pop("regulations")
    return values


def _apply_row(*, actor, row: CatalogRow, existing: Dataset | None, owners) -> tuple[str, Dataset]:
    values = _values_for_service(row, owners)
    if existing is None:
        override = values.pop("regulations_override", False)
        regulations = values.pop("regulations", None) if override else None
        values.pop("regulations", None)
        dataset = create_dataset(actor=actor, regulations=regulations, **{"name": "", **values})
        return "created", dataset
    values.pop("slug", None)
    before = existing.updated_at
    dataset = update_dataset(actor=actor, dataset=existing, changes=values)
    return ("unchanged" if dataset.updated_at == before else "updated"), dataset


@transaction.atomic
def sync_catalog(*, actor, rows: Sequence[CatalogRow], apply: bool = True) -> SyncReport:
    """Create the datasets of ``rows`` that are new and update those whose slug exists, all or nothing.

    A row without a slug creates a dataset (its slug derived from the name);
    an existing dataset changes only in the columns the file gives. Every row
    goes through ``create_dataset`` or ``update_dataset``, so each is checked
    and audited as if entered by hand. When any row is refused, or when
    ``apply`` is False (a check), everything is rolled back and the report
    says what each row did or would do, and why refused rows were refused.
    """
    permissions.require_global(actor, "datasets.add_dataset", "You may not import datasets.")
    report = SyncReport()
    owners = _owners(rows)
    existing = {dataset.slug: dataset for dataset in Dataset.objects.filter(slug__in={row.slug for row in rows if row.slug})}
    first_line_of: dict[str, int] = {}
    for row in rows:
        if row.errors:
            report.errors.append(RowError(line=row.line, slug=row.slug, name=row.name, messages=row.errors))
            continue
        if row.slug in first_line_of:
            message = f"The slug {row.slug!r} is already on line {first_line_of[row.slug]}; each dataset appears once."
            report.errors.append(RowError(line=row.line, slug=row.slug, name=row.name, messages={"slug": [message]}))
            continue
        try:
            # A savepoint per row: a refused row leaves the others' work intact for the report.
            with transaction.atomic():
                action, dataset = _apply_row(actor=actor, row=row, existing=existing.get(row.slug), owners=owners)
        except ValidationError as error:
            messages = _messages_by_column(error)
        except (PermissionDenied, RegistryActionRefused) as error:
            messages = {"row": [str(error)]}
        else:
            first_line_of[dataset.slug] = row.line
            report.outcomes.append(RowOutcome(line=row.line, slug=dataset.slug, name=dataset.name, action=action))
            continue
        report.errors.append(RowError(line=row.line, slug=row.slug, name=row.name, messages=messages))
    if report.errors or not apply:
        transaction.set_rollback(True)
        return report
    record_event(
        actor=actor,
        action="datasets.imported",
        data={
            "created": [outcome.slug for outcome in report.created],
            "updated": [outcome.slug for outcome in report.updated],
            "unchanged": len(report.unchanged),
        },
    )
    report.applied = True
    return report


@transaction.atomic
def record_catalog_export(*, actor, filters: Mapping[str, Any], count: int) -> None:
    """Record that ``actor`` downloaded the catalog of ``count`` datasets chosen by ``filters``."""
    record_event(
        actor=actor,
        action="datasets.exported",
        data={"format": "csv", "count": count, "filters": {name: value for name, value in filters.items() if value}},
    )
