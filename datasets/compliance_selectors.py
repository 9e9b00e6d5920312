"""Reads of the registry for the automated compliance checks: the entries that fall short of a policy.

Unscoped (the checks judge the whole organisation, and no user reaches these
rows except through the check's stored outcome). Every dataset counts,
archived ones too: archiving stops new use, but the data is held until its
retention removes it. Each read is a fixed number of queries, however many
rows there are.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet

from datasets.models import Dataset, PrivacyBudgetOverride, ShareLink, TrainingRun
from datasets.models.sharing import MAX_SHARE_DAYS
from datasets.selectors import FLAGGED, MISSING_FILTERS

# A dataset holds personal data when it names at least one category of it.
PERSONAL_DATA = ~Q(data_categories=[])


@dataclass(frozen=True)
class Tally:
    """How many rows a rule covers (``total``) and how many of them break it (``failing``)."""

    total: int
    failing: int


# --- Datasets -------------------------------------------------------------------------


def _by_name(datasets: QuerySet[Dataset]) -> QuerySet[Dataset]:
    """Return ``datasets`` by name with only what a failing entry shows (name and slug)."""
    return datasets.only("name", "slug").order_by("name", "pk")


def all_datasets() -> QuerySet[Dataset]:
    """Return every dataset, archived ones too (unordered)."""
    return Dataset.objects.all()


def datasets_with_personal_data() -> QuerySet[Dataset]:
    """Return every dataset that names at least one category of personal data, archived ones too (unordered)."""
    return Dataset.objects.filter(PERSONAL_DATA)


def personal_datasets_without_encryption() -> QuerySet[Dataset]:
    """Return the datasets with personal data that record no encryption at rest, by name."""
    return _by_name(datasets_with_personal_data().filter(encryption_at_rest=""))


def datasets_without_owner() -> QuerySet[Dataset]:
    """Return the datasets that name no owner, by name."""
    return _by_name(all_datasets().filter(MISSING_FILTERS["owner"]))


def datasets_without_retention() -> QuerySet[Dataset]:
    """Return the datasets that have no retention period, by name."""
    return _by_name(all_datasets().filter(MISSING_FILTERS["retention"]))


def datasets_without_lawful_basis() -> QuerySet[Dataset]:
    """Return the datasets that record no lawful basis, by name."""
    return _by_name(all_datasets().filter(MISSING_FILTERS["lawful_basis"]))


# --- Privacy budgets -------------------------------------------------------------------


def budgeted_datasets() -> list[Dataset]:
    """Return every dataset with a privacy budget (ε), by name, with only its name, slug and budget."""
    return list(
        Dataset.objects.filter(privacy_budget_epsilon__isnull=False)
        .only("name", "slug", "privacy_budget_epsilon")
        .order_by("name", "pk")
    )


def allowed_epsilon_overrun(*, dataset_ids: list[int]) -> dict[int, float]:
    """Return per dataset the ε a DPO override lets its spending pass its budget by (datasets without one are absent).

    Only overrides a run used count. Each is measured from the budget, so the
    largest one used is the allowance, not their sum (one query).
    """
    allowed: dict[int, float] = {}
    for dataset_id, epsilon_over in PrivacyBudgetOverride.objects.filter(
        dataset_id__in=dataset_ids, run__isnull=False
    ).values_list("dataset_id", "epsilon_over"):
        allowed[dataset_id] = max(allowed.get(dataset_id, 0.0), epsilon_over)
    return allowed


# --- Training runs flagged by erasure --------------------------------------------------


def _flagged_before(moment: datetime) -> Q:
    # A flagged run without a flag date cannot show it was flagged after ``moment``: it counts as flagged before.
    return Q(erasure_status__in=FLAGGED) & (Q(flagged_at__lt=moment) | Q(flagged_at__isnull=True))


def flagged_runs_tally(*, flagged_before: datetime) -> Tally:
    """Return how many runs are flagged by an erasure and unresolved (``total``), and how many of them since before ``flagged_before`` (one query)."""
    counts = TrainingRun.objects.aggregate(
        total=Count("pk", filter=Q(erasure_status__in=FLAGGED)), failing=Count("pk", filter=_flagged_before(flagged_before))
    )
    return Tally(total=counts["total"], failing=counts["failing"])


def runs_flagged_before(moment: datetime) -> QuerySet[TrainingRun]:
    """Return the unresolved flagged runs flagged before ``moment`` or on an unknown date, oldest flag first, with their model."""
    return TrainingRun.objects.filter(_flagged_before(moment)).select_related("model").order_by("flagged_at", "pk")


# --- Share links ------------------------------------------------------------------------

# Expiry is capped at MAX_SHARE_DAYS by the sharing service; a link past the cap was made before it or around it.
OUTLASTS_POLICY = Q(expires_at__gt=F("created_at") + timedelta(days=MAX_SHARE_DAYS))
SERVED_AFTER_END = Q(last_downloaded_at__gte=F("expires_at")) | Q(revoked_at__isnull=False, last_downloaded_at__gt=F("revoked_at"))


def _share_link_tally(condition: Q) -> Tally:
    counts = ShareLink.objects.aggregate(total=Count("pk"), failing=Count("pk", filter=condition))
    return Tally(total=counts["total"], failing=counts["failing"])


def _newest_links(condition: Q) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(condition).select_related("version__dataset").order_by("-created_at", "-pk")


def share_links_outlasting_policy_tally() -> Tally:
    """Return how many share links were issued, and how many expire more than MAX_SHARE_DAYS after issue (one query)."""
    return _share_link_tally(OUTLASTS_POLICY)


def share_links_outlasting_policy() -> QuerySet[ShareLink]:
    """Return the share links that expire more than MAX_SHARE_DAYS after issue, newest first, with version and dataset."""
    return _newest_links(OUTLASTS_POLICY)


def share_links_served_after_end_tally() -> Tally:
    """Return how many share links were issued, and how many served a download at or after their expiry or revocation (one query)."""
    return _share_link_tally(SERVED_AFTER_END)


def share_links_served_after_end() -> QuerySet[ShareLink]:
    """Return the share links that served a download at or after their expiry or revocation, newest first, with version and dataset."""
    return _newest_links(SERVED_AFTER_END)
