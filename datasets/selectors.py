"""Reads of the registry, scoped to what the user may see.

DPO, compliance managers and auditors see every dataset and model through
model-level view permissions; stewards see the datasets granted to them and
engineers the models granted to them (django-guardian object permissions).
A missing object and a forbidden one raise the same Http404. Lists fetch what
their rows show in a constant number of queries.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from compliance.accounts.models import ApiKey
from compliance.accounts.roles import Role
from datasets.lineage import LineageEdge, LineageGraph, LineageNode
from datasets.membership import stored_filter_might_contain
from datasets.models import (
    Dataset,
    DatasetUserObjectPermission,
    DatasetVersion,
    ErasureStatus,
    MLModel,
    MLModelUserObjectPermission,
    PrivacyBudgetOverride,
    PrivacyTechnique,
    Sensitivity,
    ShareLink,
    StorageLocation,
    TrainingRun,
    VersionParent,
)
from datasets.models.sharing import hash_share_token

NOT_FOUND = "No such dataset."
MAX_LINEAGE_NODES = 200


# --- Datasets -------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetFilters:
    """What the dataset list narrows by; empty values do not filter.

    ``missing`` is one of MISSING_FILTERS (datasets lacking an owner, a
    retention period, a lawful basis, or encryption at rest or in transit);
    ``status`` is ``active`` (the default), ``archived`` or empty for both;
    ``sort`` a key of DATASET_SORTS.
    """

    search: str = ""
    category: str = ""
    sensitivity: str = ""
    regulation: str = ""
    owner: int | None = None
    missing: str = ""
    status: str = Dataset.Status.ACTIVE
    sort: str = "name"


MISSING_FILTERS = {
    "owner": Q(owner__isnull=True),
    "retention": Q(retention_days__isnull=True),
    "lawful_basis": Q(lawful_bases=[]),
    "encryption": Q(encryption_at_rest="") | Q(encryption_in_transit=False),
}
SENSITIVITY_RANK = Case(
    *(When(sensitivity=code, then=Value(rank)) for rank, code in enumerate(Sensitivity.values)),
    output_field=IntegerField(),
)
DATASET_SORTS = {
    "name": [F("name").asc()],
    "-name": [F("name").desc()],
    "updated": [F("updated_at").asc()],
    "-updated": [F("updated_at").desc()],
    "sensitivity": [F("sensitivity_rank").asc()],
    "-sensitivity": [F("sensitivity_rank").desc()],
    "retention": [F("retention_days").asc(nulls_last=True)],
    "-retention": [F("retention_days").desc(nulls_last=True)],
    "owner": [F("owner__username").asc(nulls_last=True)],
    "-owner": [F("owner__username").desc(nulls_last=True)],
}


def _count_of(model, field_name: str, **conditions) -> Coalesce:
    """Return a correlated ``COUNT(*)`` of ``model`` rows pointing at the outer row through ``field_name``."""
    counted = (
        model.objects.filter(**{field_name: OuterRef("pk")}, **conditions)
        .order_by()
        .values(field_name)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def visible_datasets(user) -> QuerySet[Dataset]:
    """Return every dataset ``user`` may see (unfiltered, unordered); an API key sees them all."""
    if not getattr(user, "is_authenticated", False):
        return Dataset.objects.none()
    if isinstance(user, ApiKey):
        # Pipelines register and look up what they use across the organisation (see datasets.api).
        return Dataset.objects.all()
    return get_objects_for_user(user, "datasets.view_dataset", klass=Dataset)


def datasets_for_user(*, user, filters: DatasetFilters | None = None) -> QuerySet[Dataset]:
    """Return the datasets ``user`` may see that match ``filters``, sorted, with owner and counts.

    Each row carries ``location_count``, ``version_count`` and
    ``sensitivity_rank``; the owner is joined, so a page of rows is one query.
    """
    filters = filters or DatasetFilters()
    datasets = visible_datasets(user).select_related("owner")
    if filters.status:
        datasets = datasets.filter(status=filters.status)
    if filters.search.strip():
        term = filters.search.strip()
        datasets = datasets.filter(Q(name__icontains=term) | Q(slug__icontains=term) | Q(description__icontains=term))
    if filters.category:
        datasets = datasets.filter(data_categories__has=filters.category)
    if filters.regulation:
        datasets = datasets.filter(regulations__has=filters.regulation)
    if filters.sensitivity:
        datasets = datasets.filter(sensitivity=filters.sensitivity)
    if filters.owner is not None:
        datasets = datasets.filter(owner_id=filters.owner)
    if filters.missing in MISSING_FILTERS:
        datasets = datasets.filter(MISSING_FILTERS[filters.missing])
    datasets = datasets.annotate(
        sensitivity_rank=SENSITIVITY_RANK,
        location_count=_count_of(StorageLocation, "dataset"),
        version_count=_count_of(DatasetVersion, "dataset"),
    )
    return datasets.order_by(*DATASET_SORTS.get(filters.sort, DATASET_SORTS["name"]), "pk")


def dataset_for_user(*, user, slug: str) -> Dataset:
    """Return the dataset with ``slug`` if ``user`` may see it; raise Http404 otherwise (missing or forbidden)."""
    dataset = visible_datasets(user).select_related("owner").filter(slug=slug).first()
    if dataset is None:
        raise Http404(NOT_FOUND)
    return dataset


@dataclass(frozen=True)
class Grant:
    """A steward's or engineer's object access: ``level`` is view or change."""

    user: object
    level: str


def _grants(rows) -> list[Grant]:
    codenames = defaultdict(set)
    users = {}
    for row in rows:
        users[row.user_id] = row.user
        codenames[row.user_id].add(row.permission.codename)
    return [
        Grant(user=users[pk], level="change" if any(code.startswith("change_") for code in codenames[pk]) else "view")
        for pk in sorted(users, key=lambda pk: users[pk].username)
    ]


def dataset_grants(*, dataset: Dataset) -> list[Grant]:
    """Return who holds object access to the dataset (owner included), by username."""
    return _grants(DatasetUserObjectPermission.objects.filter(content_object=dataset).select_related("user", "permission"))


def locations_for_dataset(*, dataset: Dataset) -> QuerySet[StorageLocation]:
    """Return the dataset's storage locations by name (connection settings stay encrypted until read)."""
    return StorageLocation.objects.filter(dataset=dataset).order_by("name", "pk")


def _as_uuid(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such record.") from None


def location_for_user(*, user, pk) -> StorageLocation:
    """Return the storage location ``pk`` if ``user`` may see its dataset; Http404 otherwise."""
    location = (
        StorageLocation.objects.filter(pk=_as_uuid(pk), dataset__in=visible_datasets(user)).select_related("dataset").first()
    )
    if location is None:
        raise Http404("No such storage location.")
    return location


# --- Versions and lineage ----------------------------------------------------------------


def versions_for_dataset(*, dataset: Dataset) -> QuerySet[DatasetVersion]:
    """Return the dataset's versions, newest first, with parent and run counts, parents and the filter's figures.

    The membership filter's bit array is deferred: lists never need it. The
    derived-from edges (``parent_edges``) come with their parents' datasets.
    """
    return (
        DatasetVersion.objects.filter(dataset=dataset)
        .select_related("dataset", "membership_filter")
        .defer("membership_filter__bits")
        .prefetch_related(
            Prefetch(
                "parent_edges",
                queryset=VersionParent.objects.select_related("parent__dataset").order_by("parent__dataset__slug", "parent__label"),
            )
        )
        .annotate(
            parent_count=_count_of(VersionParent, "child"),
            run_count=_count_of(TrainingRun.dataset_versions.through, "datasetversion"),
        )
        .order_by("-created_at", "-pk")
    )


def version_for_user(*, user, slug: str, label: str) -> DatasetVersion:
    """Return version ``label`` of dataset ``slug`` if ``user`` may see the dataset; Http404 otherwise."""
    version = (
        DatasetVersion.objects.filter(dataset__in=visible_datasets(user), dataset__slug=slug, label=label)
        .select_related("dataset", "membership_filter")
        .defer("membership_filter__bits")
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    return version


def parents_of(*, version: DatasetVersion) -> list[VersionParent]:
    """Return the version's derived-from edges with the parent versions and their datasets."""
    return list(VersionParent.objects.filter(child=version).select_related("parent__dataset").order_by("parent__dataset__slug", "parent__label"))


def _walk(starts: set[int], *, upward: bool, budget: int) -> tuple[set[int], list[VersionParent], bool]:
    """Return the versions reachable from ``starts`` one way, the edges used, and whether the walk was cut short."""
    seen: set[int] = set()
    edges: list[VersionParent] = []
    frontier = set(starts)
    while frontier:
        near = "child_id__in" if upward else "parent_id__in"
        step = list(VersionParent.objects.filter(**{near: frontier}))
        edges.extend(step)
        reached = {edge.parent_id if upward else edge.child_id for edge in step} - seen - starts
        if len(seen) + len(reached) > budget:
            return seen, edges, True
        seen |= reached
        frontier = reached
    return seen, edges, False


def _graph_around(starts: set[int], *, focus_id: int) -> LineageGraph:
    ancestors, up_edges, cut_up = _walk(starts, upward=True, budget=MAX_LINEAGE_NODES)
    descendants, down_edges, cut_down = _walk(starts, upward=False, budget=MAX_LINEAGE_NODES - len(ancestors))
    members = ancestors | descendants | starts
    nodes = {
        row.pk: LineageNode(
            id=row.pk, dataset_slug=row.dataset.slug, dataset_name=row.dataset.name, label=row.label, created_at=row.created_at
        )
        for row in DatasetVersion.objects.filter(pk__in=members).select_related("dataset")
    }
    unique_edges = {(edge.parent_id, edge.child_id): edge for edge in [*up_edges, *down_edges]}
    edges = [
        LineageEdge(parent_id=parent, child_id=child, transformation=edge.transformation)
        for (parent, child), edge in sorted(unique_edges.items())
        if parent in nodes and child in nodes
    ]
    return LineageGraph(focus_id=focus_id, nodes=nodes, edges=edges, truncated=cut_up or cut_down)


def lineage_graph(*, version: DatasetVersion) -> LineageGraph:
    """Return the version with all its ancestors and descendants, and the derived-from edges among them.

    One query per generation in each direction, then one for the nodes.
    Beyond MAX_LINEAGE_NODES the graph is cut and says so (``truncated``).
    """
    return _graph_around({version.pk}, focus_id=version.pk)


def dataset_lineage_graph(*, dataset: Dataset) -> LineageGraph | None:
    """Return the lineage of all the dataset's versions, the newest as focus; None when it has no version.

    Past MAX_LINEAGE_NODES versions only the newest are drawn and the graph says so (``truncated``).
    """
    newest = list(
        DatasetVersion.objects.filter(dataset=dataset).order_by("-created_at", "-pk").values_list("pk", flat=True)[
            : MAX_LINEAGE_NODES + 1
        ]
    )
    if not newest:
        return None
    graph = _graph_around(set(newest[:MAX_LINEAGE_NODES]), focus_id=newest[0])
    graph.truncated = graph.truncated or len(newest) > MAX_LINEAGE_NODES
    return graph


def children_of(*, version: DatasetVersion) -> list[VersionParent]:
    """Return the edges of the versions derived from ``version``, with those versions and their datasets."""
    return list(
        VersionParent.objects.filter(parent=version).select_related("child__dataset").order_by("child__dataset__slug", "child__label")
    )


def visible_dataset_slugs(*, user, slugs: Iterable[str]) -> set[str]:
    """Return which of ``slugs`` name datasets ``user`` may see (one query)."""
    return set(visible_datasets(user).filter(slug__in=set(slugs)).values_list("slug", flat=True))


@dataclass(frozen=True)
class HiddenLineageNode(LineageNode):
    """A version of a dataset the viewer may not see: drawn as a box that names nothing."""

    @property
    def title(self) -> str:
        return "A version of a dataset not shared with you"


def lineage_for_user(graph: LineageGraph, *, user) -> tuple[LineageGraph, set[str]]:
    """Return ``graph`` with the versions of datasets ``user`` may not see anonymised, and the visible dataset slugs.

    A hidden version keeps its place in the drawing (lineage stays truthful)
    but shows neither its dataset nor its label, and the notes on edges into
    it are dropped, since another dataset's owner wrote them.
    """
    visible = visible_dataset_slugs(user=user, slugs={node.dataset_slug for node in graph.nodes.values()})
    nodes = {
        pk: node
        if node.dataset_slug in visible
        else HiddenLineageNode(id=pk, dataset_slug="", dataset_name="Not shared with you", label="")
        for pk, node in graph.nodes.items()
    }
    edges = [
        edge if graph.nodes[edge.child_id].dataset_slug in visible else LineageEdge(parent_id=edge.parent_id, child_id=edge.child_id)
        for edge in graph.edges
    ]
    return LineageGraph(focus_id=graph.focus_id, nodes=nodes, edges=edges, truncated=graph.truncated), visible


def versions_for_user(*, user) -> QuerySet[DatasetVersion]:
    """Return every version of the datasets ``user`` may see, by dataset and label, with the dataset joined."""
    return (
        DatasetVersion.objects.filter(dataset__in=visible_datasets(user))
        .select_related("dataset")
        .order_by("dataset__name", "dataset__slug", "label", "pk")
    )


def versions_for_training(*, user) -> QuerySet[DatasetVersion]:
    """Return the versions ``user`` may name as the data a training run used (or was retrained on).

    Those of the datasets the user may see; and for those who register models
    (ML engineers, who are never granted datasets) every version, since a run's
    record must name what it was trained on. Such a user learns only the
    dataset's name and the version's label: the dataset's pages stay closed.
    """
    if user.has_perm("datasets.add_mlmodel"):
        return DatasetVersion.objects.select_related("dataset").order_by("dataset__name", "dataset__slug", "label", "pk")
    return versions_for_user(user=user)


# --- Models and runs --------------------------------------------------------------------


@dataclass(frozen=True)
class ModelFilters:
    """What the model list narrows by: name search, deployment status, only models with flagged runs."""

    search: str = ""
    deployment_status: str = ""
    flagged_only: bool = False


FLAGGED = (ErasureStatus.AFFECTED, ErasureStatus.POSSIBLY_AFFECTED)


def visible_models(user) -> QuerySet[MLModel]:
    """Return every model ``user`` may see (unfiltered, unordered); an API key sees them all."""
    if not getattr(user, "is_authenticated", False):
        return MLModel.objects.none()
    if isinstance(user, ApiKey):
        return MLModel.objects.all()
    return get_objects_for_user(user, "datasets.view_mlmodel", klass=MLModel)


def models_for_user(*, user, filters: ModelFilters | None = None) -> QuerySet[MLModel]:
    """Return the models ``user`` may see, by name, with ``run_count`` and ``flagged_run_count``."""
    filters = filters or ModelFilters()
    models = visible_models(user).select_related("owner").annotate(
        run_count=_count_of(TrainingRun, "model"),
        flagged_run_count=_count_of(TrainingRun, "model", erasure_status__in=FLAGGED),
    )
    if filters.search.strip():
        term = filters.search.strip()
        models = models.filter(Q(name__icontains=term) | Q(slug__icontains=term))
    if filters.deployment_status:
        models = models.filter(deployment_status=filters.deployment_status)
    if filters.flagged_only:
        models = models.filter(flagged_run_count__gt=0)
    return models.order_by("name", "pk")


@dataclass(frozen=True)
class FlaggedRunCounts:
    """How many of the runs a user may see an erasure has flagged and nobody has resolved yet."""

    affected: int
    possibly_affected: int

    @property
    def total(self) -> int:
        return self.affected + self.possibly_affected


def flagged_run_counts(*, user) -> FlaggedRunCounts:
    """Return the counts of unresolved flagged runs among the models ``user`` may see (for the home page), in one query."""
    counts = TrainingRun.objects.filter(model__in=visible_models(user), erasure_status__in=FLAGGED).aggregate(
        affected=Count("pk", filter=Q(erasure_status=ErasureStatus.AFFECTED)),
        possibly_affected=Count("pk", filter=Q(erasure_status=ErasureStatus.POSSIBLY_AFFECTED)),
    )
    return FlaggedRunCounts(affected=counts["affected"], possibly_affected=counts["possibly_affected"])


def model_for_user(*, user, slug: str) -> MLModel:
    """Return the model with ``slug`` if ``user`` may see it; Http404 otherwise (missing or forbidden)."""
    model = visible_models(user).select_related("owner").filter(slug=slug).first()
    if model is None:
        raise Http404("No such model.")
    return model


def model_grants(*, model: MLModel) -> list[Grant]:
    """Return the engineers holding object access to the model (owner included), by username."""
    return _grants(MLModelUserObjectPermission.objects.filter(content_object=model).select_related("user", "permission"))


def _runs(queryset: QuerySet[TrainingRun]) -> QuerySet[TrainingRun]:
    return queryset.select_related("model", "registered_by", "resolved_by", "resolved_on_version__dataset").prefetch_related(
        Prefetch("dataset_versions", queryset=DatasetVersion.objects.select_related("dataset").order_by("dataset__slug", "label"))
    )


def runs_for_model(*, model: MLModel) -> QuerySet[TrainingRun]:
    """Return the model's runs, newest first, with the versions they used and who resolved their flags."""
    return _runs(TrainingRun.objects.filter(model=model)).order_by("-started_at", "-pk")


def runs_for_user(*, user) -> QuerySet[TrainingRun]:
    """Return the runs of the models ``user`` may see, newest first, with the versions they used."""
    return _runs(TrainingRun.objects.filter(model__in=visible_models(user))).order_by("-started_at", "-pk")


def run_for_user(*, user, pk: int) -> TrainingRun:
    """Return training run ``pk`` if ``user`` may see its model; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such training run.") from None
    run = _runs(TrainingRun.objects.filter(pk=pk, model__in=visible_models(user))).first()
    if run is None:
        raise Http404("No such training run.")
    return run


def runs_for_dataset(*, dataset: Dataset) -> QuerySet[TrainingRun]:
    """Return the runs that used any version of the dataset (for its page's training-runs tab)."""
    return _runs(TrainingRun.objects.filter(dataset_versions__dataset=dataset).distinct()).order_by("-started_at", "-pk")


def runs_using_versions(*, versions: Iterable[DatasetVersion]) -> QuerySet[TrainingRun]:
    """Return the runs that used any of ``versions``, each once (for the erasure workflow)."""
    return _runs(TrainingRun.objects.filter(dataset_versions__in=list(versions)).distinct()).order_by("pk")


def with_model_visibility(runs: QuerySet[TrainingRun], *, user) -> QuerySet[TrainingRun]:
    """Return ``runs`` each carrying ``model_visible``: whether ``user`` may open its model (and so the run)."""
    return runs.annotate(model_visible=Exists(visible_models(user).filter(pk=OuterRef("model_id"))))


def ml_engineers() -> QuerySet:
    """Return the active ML engineers by username: who may own a model or be granted one."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.ML_ENGINEER)
        .distinct()
        .order_by("username", "pk")
    )


def budgeted_datasets_for_user(*, user) -> QuerySet[Dataset]:
    """Return the datasets ``user`` may see that have an ε budget, by name (what an override can name)."""
    return visible_datasets(user).filter(privacy_budget_epsilon__isnull=False).order_by("name", "pk")


@dataclass(frozen=True)
class SubjectMembership:
    """Versions used in training that hold a subject (per their filters), and those that cannot say."""

    containing: list[DatasetVersion] = field(default_factory=list)
    unknown: list[DatasetVersion] = field(default_factory=list)
    # Also in ``unknown``: versions whose filter was built under a blind-index key no longer configured.
    unreadable: list[DatasetVersion] = field(default_factory=list)

    def notes(self) -> list[str]:
        """Return why each unreadable version could not answer, for a person."""
        return [
            f"The membership filter of {version} was built under key {version.membership_filter.key_id}, which is no longer"
            " configured: its runs are counted as possibly affected. Rebuild the filter (manage.py"
            " rebuild_membership_filters) or restore the key to FIELD_ENCRYPTION_KEYS."
            for version in self.unreadable
        ]


def versions_matching_subject(*, identifiers: Mapping[str, str]) -> SubjectMembership:
    """Sort the versions used by training runs by whether they held the subject.

    ``identifiers`` maps subject-key kinds (external_id, email, phone) to the
    subject's values. A version whose filter is keyed by a kind given is in
    ``containing`` when the filter may hold it; a version without a filter, or
    keyed by a kind the caller cannot supply, is ``unknown`` (its runs are
    possibly affected). Filters never give a false no. A filter whose
    blind-index key was removed from FIELD_ENCRYPTION_KEYS cannot answer: its
    version is ``unknown`` and also listed in ``unreadable`` (never an error, so
    an erasure still completes after a key rotation).
    """
    given = {kind: value for kind, value in identifiers.items() if value}
    result = SubjectMembership()
    versions = (
        DatasetVersion.objects.filter(pk__in=TrainingRun.dataset_versions.through.objects.values("datasetversion_id"))
        .select_related("dataset", "membership_filter")
        .order_by("pk")
    )
    for version in versions:
        membership = getattr(version, "membership_filter", None)
        if membership is None or membership.subject_key not in given:
            result.unknown.append(version)
        else:
            try:
                present = stored_filter_might_contain(membership, given[membership.subject_key])
            except KeyError:
                result.unknown.append(version)
                result.unreadable.append(version)
                continue
            if present:
                result.containing.append(version)
    return result


# --- Privacy budget ---------------------------------------------------------------------


def epsilon_spent(*, dataset_ids: Iterable[int]) -> dict[int, float]:
    """Return the ε spent per dataset: the sum over distinct DP-SGD runs that used any of its versions.

    Every registered DP run counts, failed ones too: the data was used.
    """
    rows = (
        TrainingRun.objects.filter(privacy_technique=PrivacyTechnique.DP_SGD, dataset_versions__dataset_id__in=list(dataset_ids))
        .values_list("dataset_versions__dataset_id", "pk", "epsilon")
        .distinct()
    )
    spent: dict[int, float] = defaultdict(float)
    for dataset_id, _run, epsilon in rows:
        spent[dataset_id] += epsilon or 0.0
    return dict(spent)


@dataclass(frozen=True)
class LedgerEntry:
    """One DP run's spend on the dataset, and the override it used, if any."""

    run: TrainingRun
    epsilon: float
    override: PrivacyBudgetOverride | None


@dataclass(frozen=True)
class PrivacyBudgetLedger:
    """A dataset's ε budget, what each DP run spent of it, and the DPO's overrides."""

    budget: float | None
    spent: float
    entries: list[LedgerEntry]
    overrides: list[PrivacyBudgetOverride]

    @property
    def remaining(self) -> float | None:
        return None if self.budget is None else self.budget - self.spent

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.spent > self.budget


def privacy_budget_ledger(*, dataset: Dataset) -> PrivacyBudgetLedger:
    """Return the dataset's privacy-budget ledger, oldest run first."""
    runs = list(
        TrainingRun.objects.filter(privacy_technique=PrivacyTechnique.DP_SGD, dataset_versions__dataset=dataset)
        .distinct()
        .select_related("model")
        .order_by("started_at", "pk")
    )
    overrides = list(
        PrivacyBudgetOverride.objects.filter(dataset=dataset).select_related("model", "created_by", "run").order_by("created_at", "pk")
    )
    used = {override.run_id: override for override in overrides if override.run_id is not None}
    entries = [LedgerEntry(run=run, epsilon=run.epsilon or 0.0, override=used.get(run.pk)) for run in runs]
    return PrivacyBudgetLedger(
        budget=dataset.privacy_budget_epsilon,
        spent=sum(entry.epsilon for entry in entries),
        entries=entries,
        overrides=overrides,
    )


# --- Share links ------------------------------------------------------------------------


def share_links_for_version(*, version: DatasetVersion) -> QuerySet[ShareLink]:
    """Return the version's share links, newest first, with their location and creator."""
    return ShareLink.objects.filter(version=version).select_related("location", "created_by", "revoked_by").order_by("-created_at", "-pk")


def share_links_for_dataset(*, dataset: Dataset) -> QuerySet[ShareLink]:
    """Return the share links of all the dataset's versions, newest first."""
    return (
        ShareLink.objects.filter(version__dataset=dataset)
        .select_related("version", "location", "created_by", "revoked_by")
        .order_by("-created_at", "-pk")
    )


def share_link_for_user(*, user, pk) -> ShareLink:
    """Return share link ``pk`` if ``user`` may see its dataset; Http404 otherwise."""
    link = (
        ShareLink.objects.filter(pk=_as_uuid(pk), version__dataset__in=visible_datasets(user))
        .select_related("version__dataset", "location", "created_by", "revoked_by")
        .first()
    )
    if link is None:
        raise Http404("No such share link.")
    return link


def share_link_for_token(*, token: str) -> ShareLink:
    """Return the share link a recipient's token opens, whatever its state; Http404 for an unknown token.

    The view answers 410 for a link that is no longer active.
    """
    link = ShareLink.objects.filter(token_hash=hash_share_token(token)).select_related("version__dataset", "location").first()
    if link is None:
        raise Http404("No such share link.")
    return link


# --- Registers for exports and the record of processing -------------------------------------


def locations_for_user(*, user) -> QuerySet[StorageLocation]:
    """Return the storage locations of every dataset ``user`` may see, with the dataset's slug; never their secrets.

    The encrypted connection settings are not even loaded (``defer``): a
    location is described by its redacted ``display_target``.
    """
    return (
        StorageLocation.objects.filter(dataset__in=visible_datasets(user))
        .select_related("dataset")
        .defer("connection", "dataset__description")
        .order_by("dataset__slug", "name", "pk")
    )


def recipient_organisations(*, datasets: Iterable[Dataset]) -> dict[int, list[str]]:
    """Return, per dataset id, the organisations its versions were shared with (by name, each once; one query).

    Only the organisation is read, never the recipient person's name.
    """
    found: dict[int, set[str]] = defaultdict(set)
    rows = ShareLink.objects.filter(version__dataset__in=[dataset.pk for dataset in datasets]).values_list(
        "version__dataset_id", "recipient_organisation"
    )
    for dataset_id, organisation in rows.distinct():
        if organisation.strip():
            found[dataset_id].add(organisation.strip())
    return {dataset_id: sorted(names) for dataset_id, names in found.items()}
