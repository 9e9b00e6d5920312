"""Reads of the registry for the PDF audit report: the dataset register and the models with their runs, in bulk."""

from django.db.models import Prefetch, QuerySet

from datasets.models import Dataset, StorageLocation, TrainingRun
from datasets.selectors import runs_for_user, visible_datasets, visible_models


def dataset_register_for_user(*, user) -> QuerySet[Dataset]:
    """Return the datasets ``user`` may see, by name, with owner and location kinds (two queries)."""
    locations = StorageLocation.objects.only("pk", "dataset_id", "kind", "encrypted_at_rest").order_by("kind", "pk")
    return (
        visible_datasets(user)
        .select_related("owner")
        .prefetch_related(Prefetch("locations", queryset=locations))
        .order_by("name", "pk")
    )


def models_with_runs_for_user(*, user) -> list[tuple]:
    """Return (model, its runs newest first) for every model ``user`` may see, by name (three queries).

    Each run carries its dataset versions, privacy technique and erasure status.
    """
    runs_by_model: dict[int, list[TrainingRun]] = {}
    for run in runs_for_user(user=user):
        runs_by_model.setdefault(run.model_id, []).append(run)
    models = visible_models(user).select_related("owner").order_by("name", "pk")
    return [(model, runs_by_model.get(model.pk, [])) for model in models]
