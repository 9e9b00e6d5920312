"""Figures of the registry for the manager dashboard and reports: the whole organisation, unscoped.

The dashboard's summary is computed by a beat task for everyone allowed to
read it, so these count every dataset (archived ones too: their data is held
until retention removes it, as the automated checks count them) and every
training run. Each is a fixed number of queries, however many rows there are.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from datasets.compliance_selectors import PERSONAL_DATA
from datasets.models import Dataset, TrainingRun
from datasets.models.choices import ErasureStatus, Sensitivity
from datasets.selectors import MISSING_FILTERS


@dataclass(frozen=True)
class RegisterFigures:
    """The dataset register at a glance: sensitivity, encryption at rest, and the gaps."""

    total: int
    by_sensitivity: list[tuple[str, str, int]]  # (value, label, count), in the choices' order
    personal: int
    personal_encrypted: int
    missing_owner: int
    missing_retention: int
    missing_lawful_basis: int

    @property
    def encrypted_share(self) -> float | None:
        """Percent of the datasets holding personal data that record encryption at rest."""
        return round(100 * self.personal_encrypted / self.personal, 1) if self.personal else None


def register_figures() -> RegisterFigures:
    """Return the register's figures in two queries (one aggregate, one count per sensitivity)."""
    counts = Dataset.objects.aggregate(
        total=Count("pk"),
        personal=Count("pk", filter=PERSONAL_DATA),
        personal_encrypted=Count("pk", filter=PERSONAL_DATA & ~Q(encryption_at_rest="")),
        missing_owner=Count("pk", filter=MISSING_FILTERS["owner"]),
        missing_retention=Count("pk", filter=MISSING_FILTERS["retention"]),
        missing_lawful_basis=Count("pk", filter=MISSING_FILTERS["lawful_basis"]),
    )
    per_sensitivity = dict(Dataset.objects.values_list("sensitivity").annotate(count=Count("pk")).order_by())
    return RegisterFigures(
        by_sensitivity=[(value, str(label), per_sensitivity.get(value, 0)) for value, label in Sensitivity.choices],
        **counts,
    )


@dataclass(frozen=True)
class FlaggedRunFigures:
    """Training runs an erasure flagged whose owners have not yet resolved them, and the models they belong to."""

    affected: int
    possibly_affected: int
    models: int


def flagged_run_figures() -> FlaggedRunFigures:
    """Return how many training runs (and models) await resolution after an erasure, in one query."""
    counts = TrainingRun.objects.filter(
        erasure_status__in=[ErasureStatus.AFFECTED, ErasureStatus.POSSIBLY_AFFECTED]
    ).aggregate(
        affected=Count("pk", filter=Q(erasure_status=ErasureStatus.AFFECTED)),
        possibly_affected=Count("pk", filter=Q(erasure_status=ErasureStatus.POSSIBLY_AFFECTED)),
        models=Count("model", distinct=True),
    )
    return FlaggedRunFigures(**counts)
