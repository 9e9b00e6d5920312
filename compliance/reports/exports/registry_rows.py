"""Rows of the registry's and consent's registers: datasets, storage locations, consent coverage, rights requests.

Read through the owning apps' permission-scoped selectors, a page at a time.
Left out on purpose: storage credentials (never loaded), subjects' and
requesters' identifiers (rights requests carry the subject's pseudonymous
external id only; consent coverage is counts per purpose), free-text notes
about people (verification and rejection notes).
"""

from collections.abc import Iterator, Mapping
from itertools import chain
from typing import Any

from django.utils import timezone

from compliance.audit.exports import batched
from compliance.reports.exports import paging
from compliance.reports.exports.permissions import holds_any
from consent import selectors as consent_selectors
from consent.erasure import access_selectors
from consent.erasure import selectors as erasure_selectors
from datasets import selectors as dataset_selectors


def _username(user) -> str:
    return user.get_username() if user is not None else ""


# --- Datasets and storage locations ----------------------------------------------------------

DATASET_COLUMNS = (
    "slug",
    "name",
    "status",
    "owner",
    "sensitivity",
    "data_categories",
    "subject_jurisdictions",
    "regulations",
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
    "location_count",
    "version_count",
    "created_at",
    "updated_at",
)


def _dataset_row(dataset) -> dict[str, Any]:
    row = {column: getattr(dataset, column, None) for column in DATASET_COLUMNS}
    row["owner"] = _username(dataset.owner)
    return row


def dataset_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    selected = dataset_selectors.DatasetFilters(
        sensitivity=filters.get("sensitivity", ""),
        regulation=filters.get("regulation", ""),
        missing=filters.get("missing", ""),
        # Every dataset by default: archived data is still held until its retention removes it.
        status=filters.get("status", ""),
    )
    datasets = dataset_selectors.datasets_for_user(user=user, filters=selected)
    return batched(datasets, batch_size=paging.BATCH_SIZE, transform=_dataset_row)


LOCATION_COLUMNS = (
    "id",
    "dataset",
    "name",
    "kind",
    "target",
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
    "created_at",
    "updated_at",
)


def _location_row(location) -> dict[str, Any]:
    row = {column: getattr(location, column, None) for column in LOCATION_COLUMNS}
    # The redacted target only: the connection settings (passwords, keys) are never read.
    row["target"] = location.display_target
    row["dataset"] = location.dataset.slug
    return row


def location_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    return batched(dataset_selectors.locations_for_user(user=user), batch_size=paging.BATCH_SIZE, transform=_location_row)


# --- Consent coverage and rights requests -----------------------------------------------------

CONSENT_COLUMNS = (
    "purpose",
    "name",
    "lawful_basis",
    "consent_required",
    "active",
    "granted",
    "withdrawn",
    "refused",
    "expired",
    "no_answer",
    "counted_at",
)


def consent_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    # Counts per purpose, never a subject: the coverage is one row per purpose.
    now = timezone.now()
    for coverage in consent_selectors.purposes_with_coverage(user=user, now=now):
        purpose = coverage.purpose
        yield {
            "purpose": purpose.code,
            "name": purpose.name,
            "lawful_basis": purpose.lawful_basis,
            "consent_required": purpose.consent_required,
            "active": purpose.active,
            "granted": coverage.granted,
            "withdrawn": coverage.withdrawn,
            "refused": coverage.refused,
            "expired": coverage.expired,
            "no_answer": coverage.none,
            "counted_at": now,
        }


RIGHTS_COLUMNS = (
    "kind",
    "reference",
    "uid",
    "subject",
    "regulation",
    "clause",
    "source",
    "status",
    "received_at",
    "due_at",
    "extended",
    "paused",
    "verification_method",
    "verified_at",
    "rejection_reason",
    "rejection_clause",
    "rejected_at",
    "finished_at",
    "assignee",
)


def _request_row(request, *, kind: str, reference: str, finished_at) -> dict[str, Any]:
    return {
        "kind": kind,
        "reference": reference,
        "uid": request.uid,
        # The product's pseudonymous id; requesters known only by email or phone have none here.
        "subject": request.subject.external_id if request.subject_id else "",
        "regulation": request.regulation,
        "clause": request.clause,
        "source": request.source,
        "status": request.status,
        "received_at": request.received_at,
        "due_at": request.due_at,
        "extended": request.extended,
        "paused": request.paused_at is not None,
        "verification_method": request.verification_method,
        "verified_at": request.verified_at,
        "rejection_reason": request.rejection_reason,
        "rejection_clause": request.rejection_clause,
        "rejected_at": request.rejected_at,
        "finished_at": finished_at,
        "assignee": _username(request.assignee),
    }


def _erasure_row(request) -> dict[str, Any]:
    return _request_row(request, kind="erasure", reference=f"#{request.pk}", finished_at=request.completed_at)


def _access_row(request) -> dict[str, Any]:
    return _request_row(request, kind="access", reference=f"#A{request.pk}", finished_at=request.generated_at)


# Only what the row shows is read: the requesters' encrypted identifiers and free-text notes stay in the database.
_REQUEST_SKIPPED = ("email", "phone", "requester_contact", "verification_note", "rejection_note", "subject__email", "subject__phone", "subject__name")


def rights_rows(*, user, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    kind = filters.get("kind", "")
    status = filters.get("status", "")
    regulation = filters.get("regulation", "")
    parts = []
    if kind in ("", "erasure"):
        erasure = erasure_selectors.requests_for_user(
            user=user, filters=erasure_selectors.RequestFilters(status=status, regulation=regulation)
        ).defer(*_REQUEST_SKIPPED)
        parts.append(batched(erasure, batch_size=paging.BATCH_SIZE, transform=_erasure_row))
    if kind in ("", "access"):
        access = access_selectors.access_requests_for_user(user=user, status=status).defer(
            *_REQUEST_SKIPPED, "archive_key"
        )
        if regulation:
            access = access.filter(regulation=regulation)
        parts.append(batched(access, batch_size=paging.BATCH_SIZE, transform=_access_row))
    return chain.from_iterable(parts)


def may_export_rights(user) -> bool:
    return holds_any("erasure.view_erasurerequest")(user) and holds_any("erasure.view_accessrequest")(user)
