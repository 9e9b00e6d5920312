"""What the registry API reads and writes: datasets, storage locations, versions, models and training runs.

Choice fields take the codes of ``datasets.models.choices`` (the API's
contract) and refuse any other code, naming the valid ones. Every request
serializer refuses fields it does not know or that cannot be set, so a
misspelt field is a 400 rather than silently dropped. Secrets (storage URLs
with passwords, S3 access keys) are write-only: no representation carries
them, only the redacted ``target``.

Versions are named ``dataset-slug@label``; a new version's parents may also
be given by label alone when they belong to the same dataset.
"""

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_object_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from datasets import selectors
from datasets.fields import clean_choice_list
from datasets.models import (
    AnonymisationTechnique,
    DataCategory,
    Dataset,
    DatasetVersion,
    DeploymentStatus,
    ErasureMode,
    ErasureStatus,
    FileFormat,
    LawfulBasis,
    LocationKind,
    PrivacyTechnique,
    Regulation,
    Resolution,
    RetentionAction,
    RunStatus,
    Sensitivity,
    SubjectKey,
    VersionSource,
)
from datasets.services import ParentLink
from datasets.services.common import distinct

UNKNOWN_FIELD = "Unknown field. The fields accepted here are: {fields}."
READ_ONLY_FIELD = "This field cannot be set: leave it out."
VERSION_REF_HELP = "A dataset version as dataset-slug@label, for example shop-customers@v3."
MAX_REFERENCES = 100


class StrictSerializer(serializers.Serializer):
    """A serializer that refuses unknown and read-only fields instead of ignoring them."""

    def to_internal_value(self, data):
        refused = {}
        if isinstance(data, Mapping):
            writable = [name for name, field in self.fields.items() if not field.read_only]
            for name in data:
                if name not in self.fields:
                    refused[name] = [UNKNOWN_FIELD.format(fields=", ".join(writable))]
                elif self.fields[name].read_only:
                    refused[name] = [READ_ONLY_FIELD]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if refused and isinstance(error.detail, Mapping):
                raise serializers.ValidationError({**error.detail, **refused}) from None
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value


def code_field(choices: type[models.TextChoices], **kwargs) -> serializers.ChoiceField:
    """Return a field taking one code of ``choices``; any other is refused with the list of valid codes."""
    valid = ", ".join(choices.values)
    return serializers.ChoiceField(
        choices=choices.choices,
        error_messages={"invalid_choice": f'"{{input}}" is not a valid code. Use one of: {valid}.'},
        **kwargs,
    )


class CodeListField(serializers.ListField):
    """A list of codes of ``choices``, returned distinct and in the choices' own order.

    An unknown code is refused with the same message as the services give
    (``Unknown data categories: x. Use codes from: …``).
    """

    def __init__(self, choices: type[models.TextChoices], *, described_as: str, **kwargs):
        self.choices_class = choices
        self.described_as = described_as
        super().__init__(child=code_field(choices), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        try:
            return clean_choice_list(data, self.choices_class, label=self.described_as)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class UsernameField(serializers.SlugRelatedField):
    """A user named by username (an owner)."""

    default_error_messages = {
        "does_not_exist": "No user has the username {value}.",
        "invalid": "Give the owner's username.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=get_user_model().objects.all(), **kwargs)


def _requester(field: serializers.Field):
    return field.context["request"].user


# --- Datasets -----------------------------------------------------------------------------


class DatasetSerializer(StrictSerializer):
    """A dataset of the registry. Only ``name`` is required; the slug is derived from it when absent."""

    slug = serializers.CharField(
        required=False, max_length=100, help_text="Permanent short name; derived from the name when absent."
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    owner = UsernameField(
        required=False,
        allow_null=True,
        help_text="Username of the data steward who keeps the entry current. A steward registering a dataset owns it.",
    )
    status = serializers.ChoiceField(choices=Dataset.Status.choices, read_only=True)
    data_categories = CodeListField(DataCategory, described_as="data categories", required=False)
    sensitivity = code_field(Sensitivity, required=False)
    subject_jurisdictions = serializers.ListField(
        child=serializers.CharField(max_length=10),
        required=False,
        help_text="Where the data subjects are: ISO country codes (GB, DE, US), or US-CA for a US state.",
    )
    regulations = CodeListField(
        Regulation,
        described_as="regulations",
        required=False,
        help_text="Derived from the data categories and jurisdictions unless given, which sets them by hand.",
    )
    regulations_override = serializers.BooleanField(
        read_only=True, help_text="Whether the regulations were set by hand rather than derived."
    )
    lawful_bases = CodeListField(
        LawfulBasis, described_as="lawful bases", required=False, help_text="GDPR Art. 6(1)(a)–(f)."
    )
    purposes = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, help_text="Codes of the purposes it serves."
    )
    retention_days = serializers.IntegerField(required=False, allow_null=True, help_text="Retention period in days.")
    retention_action = code_field(RetentionAction, required=False, help_text="What happens at the end of retention.")
    source = serializers.CharField(required=False, allow_blank=True, max_length=200)
    collection_channel = serializers.CharField(required=False, allow_blank=True, max_length=200)
    encryption_at_rest = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="The algorithm, for example AES-256; empty when none."
    )
    encryption_in_transit = serializers.BooleanField(required=False)
    anonymisation_technique = code_field(AnonymisationTechnique, required=False)
    anonymisation_k = serializers.IntegerField(required=False, allow_null=True, help_text="k, for k-anonymity.")
    anonymisation_epsilon = serializers.FloatField(required=False, allow_null=True, help_text="ε, for differential privacy.")
    anonymisation_delta = serializers.FloatField(required=False, allow_null=True, help_text="δ, for differential privacy.")
    privacy_budget_epsilon = serializers.FloatField(
        required=False, allow_null=True, help_text="Total ε that DP training runs may spend on the dataset."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class DatasetChangesSerializer(DatasetSerializer):
    """The fields of a dataset to change; the slug is permanent."""

    slug = serializers.CharField(read_only=True)
    regulations_override = serializers.BooleanField(
        required=False, help_text="Set false to derive the regulations again from categories and jurisdictions."
    )


class DatasetQuerySerializer(serializers.Serializer):
    """How the dataset list narrows and sorts; wrong values are refused, not ignored."""

    search = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="In name, slug or description.")
    category = code_field(DataCategory, required=False)
    sensitivity = code_field(Sensitivity, required=False)
    regulation = code_field(Regulation, required=False)
    missing = serializers.ChoiceField(
        choices=sorted(selectors.MISSING_FILTERS),
        required=False,
        help_text="Only datasets lacking an owner, a retention period, a lawful basis, or encryption.",
    )
    status = serializers.ChoiceField(choices=["active", "archived", "all"], default="active", required=False)
    sort = serializers.ChoiceField(choices=list(selectors.DATASET_SORTS), default="name", required=False)

    def filters(self) -> selectors.DatasetFilters:
        """Return the validated query as the selector's filters."""
        values = dict(self.validated_data)
        if values.get("status") == "all":
            values["status"] = ""
        return selectors.DatasetFilters(**values)


# --- Storage locations --------------------------------------------------------------------


class StorageLocationSerializer(StrictSerializer):
    """Where a dataset is stored and how a subject's records are found there.

    ``url`` (postgresql://, mysql://, redis://) and the S3 keys are stored
    encrypted and never shown back: ``target`` is the redacted form.
    """

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=200)
    kind = code_field(LocationKind)
    target = serializers.CharField(
        source="display_target", read_only=True, help_text="Where the store is, with any secret redacted (***)."
    )
    url = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="postgresql, mysql and redis: the server's URL as you would write it, for example "
        "postgresql://app:password@db:5432/shop. Stored encrypted; never shown back.",
    )
    path = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="sqlite and filesystem: the file or directory, under CONNECTOR_FILESYSTEM_ROOTS.",
    )
    table = serializers.CharField(
        required=False, allow_blank=True, max_length=127, help_text="postgresql, mysql and sqlite: table or schema.table."
    )
    format = code_field(FileFormat, required=False, allow_blank=True, help_text="filesystem and s3: the file format.")
    key_pattern = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="redis: the subject's keys, for example user:{key}:*."
    )
    bucket = serializers.CharField(required=False, allow_blank=True, max_length=63, help_text="s3.")
    prefix = serializers.CharField(required=False, allow_blank=True, max_length=1000, help_text="s3.")
    endpoint_url = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="s3: the endpoint, for example https://s3.example.org."
    )
    region = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="s3.")
    access_key_id = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200, help_text="s3. Stored encrypted; never shown back."
    )
    secret_access_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200, help_text="s3. Stored encrypted; never shown back."
    )
    subject_key = code_field(SubjectKey, help_text="Which identifier of the subject keys this store.")
    subject_field = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="The column or field holding it; defaults to the subject key's name (redis: the key pattern).",
    )
    erasure_mode = code_field(ErasureMode, required=False)
    anonymise_fields = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, help_text="anonymise: the columns or fields to blank."
    )
    encrypted_at_rest = serializers.BooleanField(required=False, help_text="Whether the store is encrypted at rest.")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


# --- Versions -----------------------------------------------------------------------------


class MembershipFilterSerializer(serializers.Serializer):
    """The figures of a version's subject membership filter (a Bloom filter over blind indexes)."""

    subject_key = code_field(SubjectKey)
    subjects = serializers.IntegerField(source="expected_items", help_text="How many distinct subjects it holds.")
    false_positive_rate = serializers.FloatField()
    size_bits = serializers.IntegerField()
    hash_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ParentsField(serializers.ListField):
    """The versions a version was derived from.

    In a request, references: ``label`` for a version of the same dataset, or
    ``dataset-slug@label``; each must name a version the caller may see. In a
    response, one ``{"version": "slug@label", "transformation": …}`` per edge.
    """

    child = serializers.CharField(max_length=201)

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_REFERENCES, **kwargs)

    def get_attribute(self, instance):
        return sorted(instance.parent_edges.all(), key=lambda edge: (edge.parent.dataset.slug, edge.parent.label))

    def to_representation(self, edges):
        return [{"version": str(edge.parent), "transformation": edge.transformation} for edge in edges]

    def to_internal_value(self, data) -> list[DatasetVersion]:
        references = distinct(super().to_internal_value(data))
        dataset, user = self.context["dataset"], _requester(self)
        parents, unknown = [], []
        for reference in references:
            slug, _, label = reference.rpartition("@")
            try:
                parents.append(selectors.version_for_user(user=user, slug=slug or dataset.slug, label=label))
            except Http404:
                unknown.append(reference)
        if unknown:
            raise serializers.ValidationError(
                f"No version {', '.join(unknown)} that you may see. Name a parent by its label within this dataset,"
                " or as dataset-slug@label."
            )
        return parents


class ParentsFieldSchema(OpenApiSerializerFieldExtension):
    """Describe ParentsField: references in requests, edges in responses."""

    target_class = ParentsField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            reference = build_basic_type(OpenApiTypes.STR)
            reference["description"] = "label (same dataset) or dataset-slug@label"
            return build_array_type(reference)
        edge = build_object_type(
            properties={
                "version": {**build_basic_type(OpenApiTypes.STR), "description": VERSION_REF_HELP},
                "transformation": build_basic_type(OpenApiTypes.STR),
            },
            required=["version", "transformation"],
        )
        return build_array_type(edge)


class DatasetVersionSerializer(StrictSerializer):
    """A version of a dataset: what it held, what it was derived from, and who was in it.

    ``subject_keys`` (identifiers of kind ``subject_key``) build the version's
    membership filter, sized for ``false_positive_rate``; they are not stored.
    """

    ref = serializers.SerializerMethodField(help_text=VERSION_REF_HELP)
    dataset = serializers.CharField(source="dataset.slug", read_only=True)
    label = serializers.CharField(max_length=100, help_text="For example v3 or 2026-03-01; unique within the dataset.")
    created_at = serializers.DateTimeField(required=False, help_text="When the version was made; now when absent.")
    content_digest = serializers.CharField(
        required=False, allow_blank=True, max_length=71, help_text="SHA-256 of the content, 64 hexadecimal digits."
    )
    row_count = serializers.IntegerField(required=False, allow_null=True)
    schema_summary = serializers.JSONField(required=False, help_text='Columns and types, for example {"email": "text"}.')
    notes = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    source = serializers.ChoiceField(choices=VersionSource.choices, read_only=True)
    parents = ParentsField(required=False)
    transformation = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2_000,
        help_text="How the version was derived from its parents, for example 'dropped rows of minors'.",
    )
    subject_keys = serializers.ListField(
        child=serializers.CharField(max_length=320, allow_blank=True),
        write_only=True,
        required=False,
        help_text="Identifiers of the subjects the version holds, to build its membership filter (not stored).",
    )
    subject_key = code_field(
        SubjectKey, write_only=True, required=False, help_text="The kind of identifier in subject_keys (default external_id)."
    )
    false_positive_rate = serializers.FloatField(
        write_only=True, required=False, help_text="The filter's false-positive rate, between 0 and 0.5 (default 0.001)."
    )
    membership_filter = serializers.SerializerMethodField()

    def get_ref(self, version: DatasetVersion) -> str:
        return str(version)

    @extend_schema_field(MembershipFilterSerializer(allow_null=True))
    def get_membership_filter(self, version: DatasetVersion):
        membership = getattr(version, "membership_filter", None)
        return None if membership is None else MembershipFilterSerializer(membership).data

    def validate(self, attrs):
        transformation = attrs.pop("transformation", "")
        if "parents" in attrs:
            attrs["parents"] = [ParentLink(version=parent, transformation=transformation) for parent in attrs["parents"]]
        elif transformation.strip():
            raise serializers.ValidationError({"transformation": ["A transformation describes parents: name them too."]})
        return attrs


# --- Models and training runs -------------------------------------------------------------


class MLModelSerializer(StrictSerializer):
    """An ML model. Only ``name`` is required; the slug is derived from it when absent."""

    slug = serializers.CharField(
        required=False, max_length=100, help_text="Permanent short name; derived from the name when absent."
    )
    name = serializers.CharField(max_length=200)
    owner = UsernameField(
        required=False,
        allow_null=True,
        help_text="Username of the ML engineer who owns it. An engineer registering a model owns it.",
    )
    intended_use = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    deployment_status = code_field(DeploymentStatus, required=False)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class MLModelChangesSerializer(MLModelSerializer):
    """The fields of a model to change; the slug is permanent."""

    slug = serializers.CharField(read_only=True)


class ModelReferenceField(serializers.CharField):
    """A model named by its slug; it must be one the caller may see."""

    def to_internal_value(self, data):
        slug = super().to_internal_value(data)
        try:
            return selectors.model_for_user(user=_requester(self), slug=slug)
        except Http404:
            raise serializers.ValidationError(f"No model {slug!r} that you may see.") from None

    def to_representation(self, model):
        return model.slug


class VersionReferencesField(serializers.ListField):
    """Dataset versions named ``dataset-slug@label``, looked up in one query among those the caller may name."""

    child = serializers.CharField(max_length=201, help_text=VERSION_REF_HELP)

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_REFERENCES, **kwargs)

    def get_attribute(self, instance):
        return list(instance.dataset_versions.all())

    def to_representation(self, versions):
        return [str(version) for version in versions]

    def to_internal_value(self, data) -> list[DatasetVersion]:
        references = distinct(super().to_internal_value(data))
        malformed = [reference for reference in references if reference.count("@") != 1 or reference.startswith("@")]
        if malformed:
            raise serializers.ValidationError(
                f"Name each version as dataset-slug@label, for example shop-customers@v3: {', '.join(malformed)}."
            )
        pairs = [tuple(reference.split("@")) for reference in references]
        wanted = Q()
        for slug, label in pairs:
            wanted |= Q(dataset__slug=slug, label=label)
        candidates = selectors.versions_for_training(user=_requester(self)).filter(wanted) if pairs else []
        found = {(version.dataset.slug, version.label): version for version in candidates}
        unknown = [f"{slug}@{label}" for slug, label in pairs if (slug, label) not in found]
        if unknown:
            raise serializers.ValidationError(f"No dataset version {', '.join(unknown)} that you may name.")
        return [found[pair] for pair in pairs]


class PrivacySerializer(StrictSerializer):
    """How the run protected the training data: ε, δ and the accountant for DP-SGD, k for k-anonymised data."""

    technique = code_field(PrivacyTechnique, source="privacy_technique", required=False)
    epsilon = serializers.FloatField(required=False, allow_null=True, help_text="dp_sgd: the run's ε.")
    delta = serializers.FloatField(required=False, allow_null=True, help_text="dp_sgd: the run's δ.")
    accountant = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="dp_sgd: the accountant, for example rdp or prv."
    )
    k = serializers.IntegerField(
        source="k_anonymity_k", required=False, allow_null=True, help_text="k_anonymised: k of the training data."
    )


# Where the services' field names sit in the API's nested ``privacy`` object.
PRIVACY_FIELDS = {"privacy_technique": "technique", "epsilon": "epsilon", "delta": "delta", "accountant": "accountant", "k_anonymity_k": "k"}


class TrainingRunSerializer(StrictSerializer):
    """A training run of a model on dataset versions, with its privacy technique and erasure flag."""

    id = serializers.IntegerField(read_only=True)
    model = ModelReferenceField(help_text="The model's slug.")
    dataset_versions = VersionReferencesField(help_text="The versions the run used, each as dataset-slug@label.")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(required=False, allow_null=True)
    status = code_field(RunStatus, required=False, help_text="running when absent.")
    code_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Commit, tag or URL of the training code."
    )
    metrics = serializers.DictField(required=False, help_text='For example {"accuracy": 0.91}.')
    privacy = PrivacySerializer(source="*", required=False)
    erasure_status = serializers.ChoiceField(choices=ErasureStatus.choices, read_only=True)
    resolution = serializers.ChoiceField(choices=Resolution.choices, read_only=True, allow_blank=True)
    registered_at = serializers.DateTimeField(source="created_at", read_only=True)

    @staticmethod
    def nest_service_errors(error: DjangoValidationError) -> serializers.ValidationError:
        """Return a service's ValidationError with the privacy fields under ``privacy``, as the request has them."""
        errors: dict = {}
        for name, messages in error.message_dict.items():
            if name in PRIVACY_FIELDS:
                errors.setdefault("privacy", {})[PRIVACY_FIELDS[name]] = messages
            else:
                errors[name] = messages
        return serializers.ValidationError(errors)


class RunFinishSerializer(StrictSerializer):
    """The end of a running run: completed or failed, when, and its final metrics."""

    status = code_field(RunStatus, help_text="completed or failed.")
    finished_at = serializers.DateTimeField(required=False, help_text="Now when absent.")
    metrics = serializers.DictField(required=False, help_text="Replaces the run's metrics when given.")


class ModelQuerySerializer(serializers.Serializer):
    """How the model list narrows."""

    search = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="In name or slug.")
    deployment_status = code_field(DeploymentStatus, required=False)
    flagged_only = serializers.BooleanField(
        required=False, default=False, help_text="Only models with runs flagged by an erasure."
    )

    def filters(self) -> selectors.ModelFilters:
        """Return the validated query as the selector's filters."""
        return selectors.ModelFilters(**self.validated_data)


class RunQuerySerializer(serializers.Serializer):
    """How the training-run list narrows."""

    model = serializers.SlugField(required=False, max_length=100, help_text="Only the runs of this model (slug).")
