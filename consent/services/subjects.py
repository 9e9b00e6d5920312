"""Writes about data subjects: creating and updating them, revealing their identifiers."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from compliance.audit.services import record_event
from compliance.crypto.blind_index import NormalisationError, normalise_email, normalise_external_id, normalise_phone
from consent.jurisdictions import Jurisdiction, parse_jurisdiction
from consent.models import DataSubject
from datasets.services.common import FieldErrors, clean_text

REVEAL_PERMISSION = "consent.reveal_identifiers"
MAX_EXTERNAL_ID_LENGTH = 255
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200
IDENTIFIER_FIELDS = ("email", "phone", "name")


@dataclass(frozen=True)
class UpsertedSubject:
    """What ``upsert_subject`` did: the subject, whether it is new, and which fields changed (names only)."""

    subject: DataSubject
    created: bool
    changed: tuple[str, ...]


def clean_external_id(value) -> str:
    """Return the external id without surrounding whitespace; raise ValidationError when empty or too long."""
    try:
        external_id = normalise_external_id(str(value or ""))
    except NormalisationError as error:
        raise ValidationError("Give the subject's external id.") from error
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
        raise ValidationError(
            f"The external id is {len(external_id)} characters long; the limit is {MAX_EXTERNAL_ID_LENGTH}."
        )
    return external_id


def clean_email(value: str) -> str | None:
    """Return an email address normalised for storage and its blind index (None when empty); ValidationError saying why not."""
    text = str(value).strip()
    if not text:
        return None
    try:
        email = normalise_email(text)
    except NormalisationError:
        raise ValidationError("This is not an email address: it has no @.") from None
    local, _, domain = email.rpartition("@")
    if not local or "." not in domain or " " in email:
        raise ValidationError("This is not an email address: give it as name@example.org.")
    if len(email) > MAX_EMAIL_LENGTH:
        raise ValidationError(f"The email address is longer than {MAX_EMAIL_LENGTH} characters.")
    return email


def clean_phone(value: str) -> str | None:
    """Return a phone number normalised for storage and its blind index (None when empty); ValidationError saying why not."""
    text = str(value).strip()
    if not text:
        return None
    try:
        return normalise_phone(text)
    except NormalisationError:
        raise ValidationError(
            "This is not a phone number Custos can read: give it in international form, for example +44 20 7946 0000."
        ) from None


def _clean_name(value: str) -> str | None:
    return clean_text(value, label="name", max_length=MAX_NAME_LENGTH) or None


def _clean_jurisdiction(value: str) -> Jurisdiction | None:
    text = str(value).strip()
    return parse_jurisdiction(text) if text else None


def _wanted(errors: FieldErrors, *, email, phone, name, jurisdiction) -> dict:
    """Return the cleaned values of the fields given (None for a field to clear)."""
    cleaners = {"email": clean_email, "phone": clean_phone, "name": _clean_name, "jurisdiction": _clean_jurisdiction}
    given = {"email": email, "phone": phone, "name": name, "jurisdiction": jurisdiction}
    wanted = {}
    for field, value in given.items():
        if value is not None:
            wanted[field] = errors.check(field, lambda clean=cleaners[field], value=value: clean(value))
    return wanted


def _apply(subject: DataSubject, wanted: dict) -> list[str]:
    changed = []
    for field in IDENTIFIER_FIELDS:
        if field in wanted and getattr(subject, field) != wanted[field]:
            setattr(subject, field, wanted[field])
            changed.append(field)
    if "jurisdiction" in wanted:
        jurisdiction = wanted["jurisdiction"]
        country, region = (jurisdiction.country, jurisdiction.region) if jurisdiction else ("", "")
        if (subject.jurisdiction_country, subject.jurisdiction_region) != (country, region):
            subject.jurisdiction_country, subject.jurisdiction_region = country, region
            changed.append("jurisdiction")
    return changed


def _locked(external_id: str) -> DataSubject | None:
    return DataSubject.objects.select_for_update().filter(external_id=external_id).first()


@transaction.atomic
def upsert_subject(
    *,
    actor,
    external_id: str,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    jurisdiction: str | None = None,
) -> UpsertedSubject:
    """Create the subject with ``external_id``, or update the identifiers given; return what happened.

    A field left as None is kept as it is; an empty string clears it. Email is
    stored lower-case, phone in E.164 form, jurisdiction as country and region
    (``US-CA``). Values that cannot be normalised raise ValidationError keyed by
    field, with a message that does not repeat the value. Nothing is written,
    and no event recorded, when nothing changes. Audit events name the
    external id and the fields, never the values.
    """
    errors = FieldErrors()
    external_id = errors.check("external_id", lambda: clean_external_id(external_id))
    wanted = _wanted(errors, email=email, phone=phone, name=name, jurisdiction=jurisdiction)
    errors.raise_if_any()

    subject = _locked(external_id)
    if subject is None:
        candidate = DataSubject(external_id=external_id)
        changed = _apply(candidate, wanted)
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError:
            # Another request created it since we looked: update that one instead.
            subject = _locked(external_id)
        else:
            record_event(
                actor=actor,
                action="subject.created",
                target=candidate,
                data={"external_id": external_id, "fields": changed, "regime": candidate.regime},
            )
            return UpsertedSubject(subject=candidate, created=True, changed=tuple(changed))

    changed = _apply(subject, wanted)
    if changed:
        subject.save()
        record_event(actor=actor, action="subject.updated", target=subject, data={"external_id": external_id, "changed": changed})
    return UpsertedSubject(subject=subject, created=False, changed=tuple(changed))


@transaction.atomic
def reveal_identifiers(*, actor, subject: DataSubject) -> dict[str, str | None]:
    """Return the subject's email, phone and name in clear, and record that ``actor`` read them.

    Raises PermissionDenied unless ``actor`` holds ``consent.reveal_identifiers``
    (DPO): compliance managers and auditors never see identifiers in clear.
    """
    if not actor.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied("Revealing a subject's identifiers needs the consent.reveal_identifiers permission (DPO).")
    revealed = {field: getattr(subject, field) for field in IDENTIFIER_FIELDS}
    record_event(
        actor=actor,
        action="subject.revealed",
        target=subject,
        data={"external_id": subject.external_id, "fields": [field for field, value in revealed.items() if value]},
    )
    return revealed
