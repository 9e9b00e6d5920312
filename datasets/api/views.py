"""The registry API's endpoints: each parses its input, looks up what it acts on, calls one service, answers JSON.

See ``datasets.api`` for who may do what. Services raise RegistryActionRefused
for a change the registry's current state does not allow: it answers 409 with
the service's message (code ``privacy_budget_exceeded`` for a privacy budget).
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from compliance.accounts.models import ApiKey
from compliance.api.base import ApiView
from compliance.api.exceptions import Conflict
from datasets import permissions, selectors, services
from datasets.api.serializers import (
    DatasetChangesSerializer,
    DatasetQuerySerializer,
    DatasetSerializer,
    DatasetVersionSerializer,
    MLModelChangesSerializer,
    MLModelSerializer,
    ModelQuerySerializer,
    RunFinishSerializer,
    RunQuerySerializer,
    StorageLocationSerializer,
    TrainingRunSerializer,
)
from datasets.models import VersionSource

REGISTRY_WRITE = ["registry:write"]
# Models and runs: the registry's scope, or the training one a training pipeline's key may hold instead.
TRAINING_SCOPES = ("registry:write", "training:write")
MISSING_ANY_SCOPE = "This API key lacks the scope {scopes}."


class RegistryPagination(LimitOffsetPagination):
    """``?limit=&offset=``: 100 rows by default, at most 1,000."""

    default_limit = 100
    max_limit = 1000


class HoldsATrainingScope(BasePermission):
    """Let an API key write only if it holds ``registry:write`` or ``training:write``, naming both when it holds neither."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey) or request.method in SAFE_METHODS:
            return True
        if any(key.has_scope(scope) for scope in TRAINING_SCOPES):
            return True
        raise PermissionDenied(MISSING_ANY_SCOPE.format(scopes=" or ".join(TRAINING_SCOPES)))


class BrowsesDatasets(BasePermission):
    """Open the dataset list to those who may browse the registry (as its page is), and to every API key."""

    message = "The dataset registry is for data stewards, the DPO, compliance managers and auditors."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ApiKey) or permissions.can_browse_datasets(request.user)


class BrowsesModels(BasePermission):
    """Open the model and run lists to those who may browse models (as their page is), and to every API key."""

    message = "The model registry is for ML engineers, the DPO, compliance managers and auditors."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ApiKey) or permissions.can_browse_models(request.user)


@contextmanager
def refusals_as_conflicts():
    """Turn the services' refusals of the current state into 409 answers carrying their message."""
    try:
        yield
    except services.PrivacyBudgetExceeded as refusal:
        raise Conflict(refusal.message, code="privacy_budget_exceeded") from None
    except services.RegistryActionRefused as refusal:
        raise Conflict(refusal.message) from None


class RegistryView(ApiView, generics.GenericAPIView):
    """What the registry's endpoints share: pagination, validation, answers."""

    pagination_class = RegistryPagination
    parser_classes = [JSONParser]

    def validated(self, serializer_class, data, **kwargs):
        """Return ``serializer_class`` bound to ``data`` and validated (400 with field errors otherwise)."""
        serializer = serializer_class(data=data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer

    def paginated(self, rows) -> Response:
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def answer(self, instance, *, created: bool = False, location: str = "") -> Response:
        """Answer ``instance`` serialized: 200, or 201 when ``created``, with a Location header when given."""
        data = self.get_serializer(instance).data
        if not created:
            return Response(data)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location} if location else None)


def _writes(scopes: str, who: str) -> str:
    return f"API keys need the scope {scopes}; a signed-in user {who}."


# --- Datasets -----------------------------------------------------------------------------


class DatasetListView(RegistryView):
    """The datasets the caller may see; registering a dataset."""

    required_scopes = {"POST": REGISTRY_WRITE}
    permission_classes = [IsAuthenticated, BrowsesDatasets]
    serializer_class = DatasetSerializer

    @extend_schema(
        summary="List the datasets you may see",
        description="Active datasets by name unless the query says otherwise. Any API key reads every dataset.",
        parameters=[DatasetQuerySerializer],
        responses=DatasetSerializer(many=True),
    )
    def get(self, request):
        query = self.validated(DatasetQuerySerializer, request.query_params)
        return self.paginated(selectors.datasets_for_user(user=request.user, filters=query.filters()))

    @extend_schema(
        summary="Register a dataset",
        description=_writes("registry:write", "must be a DPO or a data steward (who then owns it)"),
        request=DatasetSerializer,
        responses={201: DatasetSerializer},
    )
    def post(self, request):
        values = self.validated(DatasetSerializer, request.data).validated_data
        dataset = services.create_dataset(actor=request.user, **values)
        return self.answer(dataset, created=True, location=reverse("api:dataset_detail", kwargs={"slug": dataset.slug}))


class DatasetDetailView(RegistryView):
    """One dataset; changing it."""

    required_scopes = {"PATCH": REGISTRY_WRITE}
    serializer_class = DatasetSerializer

    @extend_schema(summary="Show a dataset", responses=DatasetSerializer)
    def get(self, request, slug: str):
        return self.answer(selectors.dataset_for_user(user=request.user, slug=slug))

    @extend_schema(
        summary="Change a dataset",
        description=_writes("registry:write", "must be allowed to edit the dataset (its owner, a granted steward, the DPO)")
        + " Giving regulations sets them by hand; regulations_override false derives them again.",
        request=DatasetChangesSerializer,
        responses=DatasetSerializer,
    )
    def patch(self, request, slug: str):
        dataset = selectors.dataset_for_user(user=request.user, slug=slug)
        changes = self.validated(DatasetChangesSerializer, request.data, partial=True).validated_data
        return self.answer(services.update_dataset(actor=request.user, dataset=dataset, changes=changes))


class LocationListView(RegistryView):
    """A dataset's storage locations (secrets redacted); registering one."""

    required_scopes = {"POST": REGISTRY_WRITE}
    serializer_class = StorageLocationSerializer

    @extend_schema(summary="List a dataset's storage locations", responses=StorageLocationSerializer(many=True))
    def get(self, request, slug: str):
        dataset = selectors.dataset_for_user(user=request.user, slug=slug)
        return self.paginated(selectors.locations_for_dataset(dataset=dataset))

    @extend_schema(
        summary="Register a storage location of a dataset",
        description=_writes("registry:write", "must be allowed to edit the dataset")
        + " postgresql and mysql take url and table; sqlite takes path and table; filesystem takes path and format;"
        " redis takes url and key_pattern; s3 takes endpoint_url, bucket, prefix, region and the access keys."
        " URLs and keys are stored encrypted and never shown back.",
        request=StorageLocationSerializer,
        responses={201: StorageLocationSerializer},
    )
    def post(self, request, slug: str):
        dataset = selectors.dataset_for_user(user=request.user, slug=slug)
        values = self.validated(StorageLocationSerializer, request.data).validated_data
        with refusals_as_conflicts():
            location = services.add_storage_location(actor=request.user, dataset=dataset, **values)
        return self.answer(location, created=True)


class LocationTestView(RegistryView):
    """Testing a storage location's connection."""

    required_scopes = {"POST": REGISTRY_WRITE}

    @extend_schema(
        summary="Test a storage location's connection",
        description=_writes("registry:write", "must be allowed to edit the dataset")
        + " Custos searches the store for a made-up subject key, changing nothing, and answers whether that worked;"
        " on failure, message says why (never a secret) and retryable whether trying later may help.",
        request=None,
        responses=inline_serializer(
            "ConnectionReport",
            {"ok": serializers.BooleanField(), "message": serializers.CharField(), "retryable": serializers.BooleanField()},
        ),
    )
    def post(self, request, slug: str, pk):
        dataset = selectors.dataset_for_user(user=request.user, slug=slug)
        location = selectors.location_for_user(user=request.user, pk=pk)
        if location.dataset_id != dataset.pk:
            raise Http404("No such storage location.")
        report = services.test_location_connection(actor=request.user, location=location)
        return Response({"ok": report.ok, "message": report.message, "retryable": report.retryable})


class VersionListView(RegistryView):
    """A dataset's versions, newest first; registering one."""

    required_scopes = {"POST": REGISTRY_WRITE}
    serializer_class = DatasetVersionSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "dataset": getattr(self, "dataset", None)}

    @extend_schema(summary="List a dataset's versions", responses=DatasetVersionSerializer(many=True))
    def get(self, request, slug: str):
        self.dataset = selectors.dataset_for_user(user=request.user, slug=slug)
        return self.paginated(selectors.versions_for_dataset(dataset=self.dataset))

    @extend_schema(
        summary="Register a version of a dataset",
        description=_writes("registry:write", "must be allowed to edit the dataset")
        + " parents name the versions it was derived from: a label for a version of the same dataset, or"
        " dataset-slug@label for one of another; transformation says how. subject_keys build the version's"
        " membership filter and are not stored.",
        request=DatasetVersionSerializer,
        responses={201: DatasetVersionSerializer},
    )
    def post(self, request, slug: str):
        self.dataset = selectors.dataset_for_user(user=request.user, slug=slug)
        values = self.validated(DatasetVersionSerializer, request.data).validated_data
        with refusals_as_conflicts():
            version = services.create_version(actor=request.user, dataset=self.dataset, source=VersionSource.API, **values)
        return self.answer(version, created=True)


# --- Models and training runs -------------------------------------------------------------


class TrainingRegistryView(RegistryView):
    """Models and runs: API keys write with registry:write or training:write (either one)."""

    # Listed with no scope so the base check lets keys through; HoldsATrainingScope asks for either one.
    required_scopes = {"POST": [], "PATCH": []}
    permission_classes = [IsAuthenticated, HoldsATrainingScope]


class ModelListView(TrainingRegistryView):
    """The models the caller may see; registering a model."""

    permission_classes = [*TrainingRegistryView.permission_classes, BrowsesModels]
    serializer_class = MLModelSerializer

    @extend_schema(
        summary="List the ML models you may see",
        parameters=[ModelQuerySerializer],
        responses=MLModelSerializer(many=True),
    )
    def get(self, request):
        query = self.validated(ModelQuerySerializer, request.query_params)
        return self.paginated(selectors.models_for_user(user=request.user, filters=query.filters()))

    @extend_schema(
        summary="Register an ML model",
        description=_writes("registry:write or training:write", "must be an ML engineer (who then owns it)"),
        request=MLModelSerializer,
        responses={201: MLModelSerializer},
    )
    def post(self, request):
        values = self.validated(MLModelSerializer, request.data).validated_data
        model = services.create_model(actor=request.user, **values)
        return self.answer(model, created=True, location=reverse("api:model_detail", kwargs={"slug": model.slug}))


class ModelDetailView(TrainingRegistryView):
    """One model; changing it."""

    serializer_class = MLModelSerializer

    @extend_schema(summary="Show an ML model", responses=MLModelSerializer)
    def get(self, request, slug: str):
        return self.answer(selectors.model_for_user(user=request.user, slug=slug))

    @extend_schema(
        summary="Change an ML model",
        description=_writes("registry:write or training:write", "must be its owner or an engineer it is granted to"),
        request=MLModelChangesSerializer,
        responses=MLModelSerializer,
    )
    def patch(self, request, slug: str):
        model = selectors.model_for_user(user=request.user, slug=slug)
        changes = self.validated(MLModelChangesSerializer, request.data, partial=True).validated_data
        return self.answer(services.update_model(actor=request.user, model=model, changes=changes))


class RunListView(TrainingRegistryView):
    """The training runs of the models the caller may see; registering a run."""

    permission_classes = [*TrainingRegistryView.permission_classes, BrowsesModels]
    serializer_class = TrainingRunSerializer

    @extend_schema(
        summary="List the training runs you may see",
        parameters=[RunQuerySerializer],
        responses=TrainingRunSerializer(many=True),
    )
    def get(self, request):
        query = self.validated(RunQuerySerializer, request.query_params).validated_data
        runs = selectors.runs_for_user(user=request.user)
        if query.get("model"):
            runs = runs.filter(model__slug=query["model"])
        return self.paginated(runs)

    @extend_schema(
        summary="Register a training run",
        description=_writes("registry:write or training:write", "must be allowed to change the model")
        + " A DP-SGD run spends its ε on every dataset whose version it used; past a dataset's privacy budget"
        " (and without a DPO's override) it is refused with 409, code privacy_budget_exceeded, and the figures.",
        request=TrainingRunSerializer,
        responses={201: TrainingRunSerializer},
    )
    def post(self, request):
        values = self.validated(TrainingRunSerializer, request.data).validated_data
        with refusals_as_conflicts():
            try:
                run = services.register_training_run(actor=request.user, **values)
            except DjangoValidationError as error:
                raise TrainingRunSerializer.nest_service_errors(error) from None
        return self.answer(run, created=True, location=reverse("api:training_run_detail", kwargs={"pk": run.pk}))


class RunDetailView(TrainingRegistryView):
    """One training run."""

    serializer_class = TrainingRunSerializer

    @extend_schema(summary="Show a training run", responses=TrainingRunSerializer)
    def get(self, request, pk: int):
        return self.answer(selectors.run_for_user(user=request.user, pk=pk))


class RunFinishView(TrainingRegistryView):
    """Recording the end of a running run."""

    serializer_class = TrainingRunSerializer

    @extend_schema(
        summary="Record that a running training run completed or failed",
        description=_writes("registry:write or training:write", "must be allowed to change the model")
        + " A run that has already finished answers 409.",
        request=RunFinishSerializer,
        responses=TrainingRunSerializer,
    )
    def post(self, request, pk: int):
        run = selectors.run_for_user(user=request.user, pk=pk)
        values = self.validated(RunFinishSerializer, request.data).validated_data
        with refusals_as_conflicts():
            finished = services.finish_training_run(actor=request.user, run=run, **values)
        return self.answer(selectors.run_for_user(user=request.user, pk=finished.pk))
