"""The erasure API's request and response bodies."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consent.erasure.models import ErasureRequest, ErasureStep, RequestStatus
from consent.jurisdictions import Regime
from datasets.api.serializers import StrictSerializer, code_field
from datasets.models import LocationKind


class IdentifiersSerializer(StrictSerializer):
    """How to recognise a person Custos has no subject record of."""

    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="International form, +44…")


class ErasureRequestCreateSerializer(StrictSerializer):
    """A request to erase a known subject (``subject``: their external id) or an unknown person (``identifiers``)."""

    subject = serializers.CharField(required=False, max_length=255, help_text="The subject's external id.")
    identifiers = IdentifiersSerializer(required=False, help_text="email and/or phone, for a person with no subject record.")
    regulation = code_field(Regime, required=False, help_text="Defaults to the subject's regime (policy for an unknown person).")
    clause = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="For example GDPR Art. 17(1)(b).")
    requester_contact = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="Stored encrypted.")
    verified = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The caller verified the requester's identity; honoured only for a key that also holds erasure:approve.",
    )


class ErasureRequestCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    due_at = serializers.DateTimeField()


class ErasureStepSerializer(serializers.Serializer):
    """One storage location's step: ``error`` is the last error (null when none)."""

    location = serializers.UUIDField(source="location_id", help_text="The storage location's id.")
    kind = serializers.ChoiceField(source="location.kind", choices=LocationKind.choices)
    status = serializers.ChoiceField(choices=ErasureStep.Status.choices)
    attempts = serializers.IntegerField()
    records_affected = serializers.IntegerField(allow_null=True)
    error = serializers.SerializerMethodField()

    def get_error(self, step: ErasureStep) -> str | None:
        return step.last_error or None


class ModelAffectedSerializer(serializers.Serializer):
    """A training run the completed request flagged, and its flag now."""

    training_run = serializers.IntegerField()
    model = serializers.CharField(help_text="The model's slug.")
    flagged_as = serializers.ChoiceField(choices=["affected", "possibly_affected"])
    status = serializers.CharField(help_text="The run's erasure flag now: affected, possibly_affected or resolved.")


class ErasureRequestSerializer(serializers.Serializer):
    """A request, its clock and its steps. ``models_affected`` lists the training runs flagged on completion."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    regulation = serializers.ChoiceField(choices=Regime.choices)
    received_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    steps = ErasureStepSerializer(many=True, source="step_list")
    models_affected = serializers.SerializerMethodField()

    @extend_schema_field(ModelAffectedSerializer(many=True))
    def get_models_affected(self, request: ErasureRequest) -> list:
        return getattr(request, "models_affected_list", [])
