"""What the consent API reads and writes: purposes, notices, subjects, consent events, checks and imports.

Requests refuse fields they do not know (``StrictSerializer``) and check
presence and types; the services check the values, empty ones included, with
the same messages as the pages (keyed by field). Dates and times carry their time zone: Custos never guesses
a sender's. Subjects' identifiers are written in clear and only ever read
masked; receipts and history name subjects by their pseudonymous external id.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consent.imports.reading import EVIDENCE_FIELDS
from consent.jurisdictions import Regime
from consent.masking import masked_identifiers
from consent.models import RECORDABLE_STATUSES, CollectionMethod, ConsentImport, ConsentStatus
from consent.selectors import NO_RECORD
from datasets.api.serializers import StrictSerializer, code_field
from datasets.models import LawfulBasis

TIME_ZONE_NEEDED = "Give the date and time with its time zone, for example 2026-03-01T09:30:00Z."


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time that carries its time zone (``Z`` or an offset)."""

    default_error_messages = {"naive": TIME_ZONE_NEEDED}

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


@extend_schema_field({"type": "string", "enum": list(RECORDABLE_STATUSES)})
class RecordableStatusField(serializers.CharField):
    """A status to record: granted, withdrawn or refused (the service explains why not ``expired``)."""


@extend_schema_field({"type": "string", "enum": list(CollectionMethod.values)})
class CollectionMethodField(serializers.CharField):
    """How the consent was collected (checked by the service, which lists the codes)."""


# --- Purposes and notices -------------------------------------------------------------------


class PurposeSerializer(StrictSerializer):
    """A purpose of processing. ``code`` is permanent; a purpose on the consent basis always requires consent."""

    code = serializers.CharField(allow_blank=True, help_text="Lower-case letters, digits, hyphens and underscores, for example model-training.")
    name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    lawful_basis = code_field(LawfulBasis, help_text="GDPR Art. 6(1)(a)–(f).")
    consent_required = serializers.BooleanField(required=False, help_text="Defaults to true.")
    active = serializers.BooleanField(read_only=True, help_text="Inactive purposes take no new grants.")
    created_at = serializers.DateTimeField(read_only=True)


class NoticeSerializer(StrictSerializer):
    """A version of a purpose's privacy notice, pinned by the SHA-256 of its text (or of its URL when it has none)."""

    version = serializers.CharField(allow_blank=True, help_text="For example v3 or 2026-03; published once.")
    language = serializers.CharField(required=False, help_text="BCP 47 tag; defaults to en.")
    effective_at = AwareDateTimeField(required=False, allow_null=True, help_text="Defaults to now.")
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    url = serializers.CharField(required=False, allow_blank=True)
    sha256 = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


# --- Subjects --------------------------------------------------------------------------------


class SubjectSerializer(StrictSerializer):
    """A subject, created or updated by external id. Absent fields are kept; an empty string clears one."""

    external_id = serializers.CharField(allow_blank=True, help_text="The product's pseudonymous id for the person; case-sensitive.")
    email = serializers.CharField(required=False, allow_blank=True, write_only=True)
    phone = serializers.CharField(required=False, allow_blank=True, write_only=True, help_text="International form, +44 20 7946 0000.")
    name = serializers.CharField(required=False, allow_blank=True, write_only=True)
    jurisdiction = serializers.CharField(required=False, allow_blank=True, help_text="GB, DE, US-CA…")


class MaskedSubjectSerializer(serializers.Serializer):
    """A subject as the API shows it: identifiers masked, never in clear."""

    external_id = serializers.CharField()
    email = serializers.CharField(help_text="Masked, for example j***@example.com; empty when unknown.")
    phone = serializers.CharField(help_text="Masked, for example +44 ******0000; empty when unknown.")
    name = serializers.CharField(help_text="Masked, for example J***; empty when unknown.")
    jurisdiction = serializers.CharField(help_text="GB, US-CA…; empty when unknown.")
    regime = serializers.ChoiceField(choices=Regime.choices, help_text="Whose clocks govern the person's requests.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, subject):
        return super().to_representation(
            {
                "external_id": subject.external_id,
                **masked_identifiers(subject),
                "jurisdiction": subject.jurisdiction_code,
                "regime": subject.regime,
                "created_at": subject.created_at,
                "updated_at": subject.updated_at,
            }
        )


# --- Consent events -----------------------------------------------------------------------------


class EvidenceSerializer(StrictSerializer):
    """How the consent was collected. Stored without an address or user agent in clear."""

    ip = serializers.CharField(required=False, allow_blank=True, write_only=True, help_text="Kept as its /24 or /48 network.")
    ip_hash = serializers.CharField(required=False, allow_blank=True, help_text="Your SHA-256 of the address (hex).")
    user_agent = serializers.CharField(required=False, allow_blank=True, write_only=True, help_text="Kept as its SHA-256.")
    user_agent_hash = serializers.CharField(required=False, allow_blank=True)
    source_system = serializers.CharField(required=False, allow_blank=True)


class ConsentSerializer(StrictSerializer):
    """A consent to record. A grant names the notice version the person saw; ``event_id`` makes re-sending safe."""

    subject = serializers.CharField(allow_blank=True, help_text="The subject's external id; an unknown subject is created.")
    purpose = serializers.CharField(allow_blank=True, help_text="The purpose's code.")
    status = RecordableStatusField(allow_blank=True)
    notice_version = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    collection_method = CollectionMethodField(allow_blank=True)
    occurred_at = AwareDateTimeField(required=False, allow_null=True, help_text="When the person acted; defaults to now.")
    expires_at = AwareDateTimeField(required=False, allow_null=True, help_text="Grants only.")
    event_id = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Your id for the event: sending it again returns the recorded event."
    )
    jurisdiction = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text="Defaults to the subject's.")
    reason = serializers.CharField(required=False, allow_blank=True)
    evidence = EvidenceSerializer(required=False)


class StoredEvidenceSerializer(serializers.Serializer):
    """The evidence as stored: the address as its network or the client's hash, the user agent as its SHA-256."""

    ip = serializers.CharField(source="evidence_ip", help_text="The /24 or /48 network.")
    ip_hash = serializers.CharField(source="evidence_ip_hash")
    user_agent_hash = serializers.CharField(source="evidence_user_agent_hash")
    source_system = serializers.CharField()


class ConsentEventSerializer(serializers.Serializer):
    """A recorded consent event (append-only)."""

    id = serializers.UUIDField()
    event_id = serializers.CharField(allow_null=True, help_text="The sender's id for the event, if it gave one.")
    subject = serializers.CharField(source="subject.external_id")
    purpose = serializers.CharField(source="purpose.code")
    status = serializers.ChoiceField(choices=ConsentStatus.choices)
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    notice_version = serializers.CharField(source="notice.version", allow_null=True, default=None)
    collection_method = serializers.CharField(help_text="Empty only for expiry, which Custos records itself.")
    jurisdiction = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    evidence = StoredEvidenceSerializer(source="*")
    recorded_by = serializers.CharField(help_text="The user or API key that recorded it.")
    reason = serializers.CharField()


class CheckQuerySerializer(serializers.Serializer):
    """Whom and what the check is about."""

    subject = serializers.CharField(help_text="The subject's external id.")
    purpose = serializers.CharField(help_text="The purpose's code.")


class ConsentCheckSerializer(serializers.Serializer):
    """May this person's data be processed for this purpose now? Unknown subjects and purposes answer status none."""

    subject = serializers.CharField()
    purpose = serializers.CharField()
    allowed = serializers.BooleanField(help_text="True only for a current grant of an active purpose.")
    status = serializers.ChoiceField(choices=[*ConsentStatus.values, NO_RECORD])
    occurred_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    notice_version = serializers.CharField(allow_null=True)


# --- Imports -------------------------------------------------------------------------------------


class ImportUploadSerializer(serializers.Serializer):
    """A CSV (with a header row) or JSON Lines file of consents, with the fields of POST /api/v1/consents/."""

    file = serializers.FileField(
        help_text="CSV columns: subject, purpose, status, collection_method, and any of notice_version, occurred_at, "
        f"expires_at, event_id, jurisdiction, reason, {', '.join(EVIDENCE_FIELDS)}. JSON Lines: one object per line, "
        "evidence nested as in POST /api/v1/consents/."
    )
    format = serializers.ChoiceField(
        choices=ConsentImport.Format.choices, required=False, help_text="Defaults to the file's extension, else its content."
    )


class ImportAcceptedSerializer(serializers.Serializer):
    """The queued import and where to follow it."""

    id = serializers.UUIDField()
    status_url = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer):
    """A skipped row: its first line in the file (1 is a CSV's header) and why."""

    line = serializers.IntegerField()
    reason = serializers.CharField()


class ImportSerializer(serializers.Serializer):
    """An import's progress. rows_done = rows_recorded + rows_already_recorded + rows_failed."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ConsentImport.Status.choices)
    file_name = serializers.CharField()
    format = serializers.ChoiceField(source="file_format", choices=ConsentImport.Format.choices)
    size_bytes = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="How far through the file, by bytes.")
    rows_total = serializers.IntegerField(allow_null=True, help_text="Known once the whole file is read.")
    rows_done = serializers.IntegerField()
    rows_recorded = serializers.IntegerField()
    rows_already_recorded = serializers.IntegerField(help_text="Rows whose event id was recorded before: nothing written.")
    rows_failed = serializers.IntegerField()
    subjects_created = serializers.IntegerField()
    detail = serializers.CharField(source="failure", help_text="Why the whole file failed; empty otherwise.")
    errors = ImportErrorSerializer(many=True, help_text="The first skipped rows, by line.")
    error_report_url = serializers.CharField(allow_null=True, help_text="CSV of every skipped row, once there is one.")
    requested_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
