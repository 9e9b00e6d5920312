"""Writes about purposes and their privacy notices."""

import re
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.audit.services import record_event
from consent.models import PrivacyNotice, Purpose, notice_digest
from datasets.models import LawfulBasis
from datasets.services.common import FieldErrors, clean_choice, clean_text, diff
from datasets.services.datasets import PURPOSE_CODE

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_NOTICE_TEXT = 200_000
# Page addresses use these words after /consent/purposes/.
RESERVED_CODES = frozenset({"new"})
CONSENT_BASIS_NEEDS_CONSENT = "A purpose whose lawful basis is consent always requires consent."


def clean_purpose_code(value) -> str:
    """Return ``value`` as a purpose code; raise ValidationError if it is not one or is taken."""
    code = str(value or "").strip()
    if not code:
        raise ValidationError("Give the purpose a code, for example model-training.")
    if not PURPOSE_CODE.match(code):
        raise ValidationError(
            f"{code!r} is not a purpose code: use up to 64 lower-case letters, digits, hyphens and underscores,"
            " starting with a letter or digit, for example model-training."
        )
    if code in RESERVED_CODES:
        raise ValidationError(f"{code!r} is reserved; choose another code.")
    if Purpose.objects.filter(code=code).exists():
        raise ValidationError(f"A purpose with the code {code!r} already exists.")
    return code


def _clean_common(errors: FieldErrors, values: dict) -> dict:
    cleaned = {}
    if "name" in values:
        cleaned["name"] = errors.check("name", lambda: clean_text(values["name"], label="name", max_length=200, required=True))
    if "description" in values:
        cleaned["description"] = errors.check(
            "description", lambda: clean_text(values["description"], label="description", max_length=5000)
        )
    if "lawful_basis" in values:
        cleaned["lawful_basis"] = errors.check(
            "lawful_basis", lambda: clean_choice(values["lawful_basis"], LawfulBasis, label="lawful basis")
        )
    for flag in ("consent_required", "active"):
        if flag in values:
            if not isinstance(values[flag], bool):
                errors.add(flag, f"Give {flag.replace('_', ' ')} as true or false.")
            cleaned[flag] = values[flag]
    return cleaned


def _check_basis(errors: FieldErrors, *, lawful_basis, consent_required) -> None:
    if lawful_basis == LawfulBasis.CONSENT and consent_required is False:
        errors.add("consent_required", CONSENT_BASIS_NEEDS_CONSENT)


def _summary(purpose: Purpose) -> dict:
    return {
        "name": purpose.name,
        "lawful_basis": purpose.lawful_basis,
        "consent_required": purpose.consent_required,
        "active": purpose.active,
    }


@transaction.atomic
def create_purpose(
    *,
    actor,
    code: str,
    name: str,
    lawful_basis: str,
    description: str = "",
    consent_required: bool = True,
    active: bool = True,
) -> Purpose:
    """Create a purpose of processing; its code is permanent (datasets name purposes by code).

    Raises ValidationError keyed by field for a bad or taken code, a missing
    name, an unknown lawful basis, or a consent-basis purpose that would not
    require consent.
    """
    errors = FieldErrors()
    code = errors.check("code", lambda: clean_purpose_code(code))
    values = _clean_common(
        errors,
        {"name": name, "description": description, "lawful_basis": lawful_basis, "consent_required": consent_required, "active": active},
    )
    _check_basis(errors, lawful_basis=values.get("lawful_basis"), consent_required=values.get("consent_required"))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            purpose = Purpose.objects.create(code=code, **values)
    except IntegrityError:
        raise ValidationError({"code": [f"A purpose with the code {code!r} already exists."]}) from None
    record_event(actor=actor, action="purpose.created", target=purpose, data={"code": code, **_summary(purpose)})
    return purpose


@transaction.atomic
def update_purpose(
    *,
    actor,
    purpose: Purpose,
    name: str | None = None,
    description: str | None = None,
    lawful_basis: str | None = None,
    consent_required: bool | None = None,
    active: bool | None = None,
) -> Purpose:
    """Change the purpose's fields given (None keeps a field); the code never changes.

    Records ``purpose.updated`` with what changed (for the description, only
    that it changed); records nothing when nothing changed.
    """
    given = {
        "name": name,
        "description": description,
        "lawful_basis": lawful_basis,
        "consent_required": consent_required,
        "active": active,
    }
    errors = FieldErrors()
    values = _clean_common(errors, {field: value for field, value in given.items() if value is not None})
    # Lock the row, then work on the caller's instance so it reflects the change.
    Purpose.objects.select_for_update().filter(pk=purpose.pk).exists()
    purpose.refresh_from_db()
    _check_basis(
        errors,
        lawful_basis=values.get("lawful_basis", purpose.lawful_basis),
        consent_required=values.get("consent_required", purpose.consent_required),
    )
    errors.raise_if_any()
    before = _summary(purpose)
    description_changed = "description" in values and values["description"] != purpose.description
    for field, value in values.items():
        setattr(purpose, field, value)
    changes = diff(before, _summary(purpose))
    if description_changed:
        changes["description"] = {"changed": True}
    if changes:
        purpose.save()
        record_event(actor=actor, action="purpose.updated", target=purpose, data={"code": purpose.code, "changes": changes})
    return purpose


def _clean_url(value: str) -> str:
    url = str(value).strip()
    if not url:
        return ""
    if len(url) > 1000:
        raise ValidationError("The URL is longer than 1,000 characters.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError("Give the notice's address as a full http or https URL.") from None
    return url


def _clean_moment(value, *, label: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"Give the {label} as a date and time.")
    if timezone.is_naive(value):
        raise ValidationError(f"Give the {label} with its time zone.")
    return value


@transaction.atomic
def publish_notice(
    *,
    actor,
    purpose: Purpose,
    version: str,
    language: str = "en",
    effective_at: datetime | None = None,
    text: str | None = None,
    url: str | None = None,
) -> PrivacyNotice:
    """Publish a new version of the purpose's privacy notice, pinned by its SHA-256.

    Give the text, a URL, or both; the digest is of the text when there is one,
    otherwise of the URL string. ``effective_at`` defaults to now. A version
    is published once: the same version again raises ValidationError.
    """
    errors = FieldErrors()
    version = errors.check("version", lambda: clean_text(version, label="version", max_length=50, required=True))
    language = str(language or "").strip()
    if not LANGUAGE_TAG.match(language) or len(language) > 35:
        errors.add("language", "Give the language as a tag such as en, de or en-GB.")
    text = "" if text is None else str(text).strip()
    if len(text) > MAX_NOTICE_TEXT:
        errors.add("text", f"The notice text is longer than {MAX_NOTICE_TEXT:,} characters; link to it with a URL instead.")
    url = errors.check("url", lambda: _clean_url(url or ""), "")
    if not text and not url and "url" not in errors.by_field:
        errors.add("text", "Give the notice's text or its URL.")
    effective_at = timezone.now() if effective_at is None else errors.check(
        "effective_at", lambda: _clean_moment(effective_at, label="effective date")
    )
    if version and PrivacyNotice.objects.filter(purpose=purpose, version=version).exists():
        errors.add(
            "version",
            f"{purpose.code} already has a notice version {version}; notices are never changed, so publish a new version.",
        )
    errors.raise_if_any()
    try:
        with transaction.atomic():
            notice = PrivacyNotice.objects.create(
                purpose=purpose,
                version=version,
                language=language,
                effective_at=effective_at,
                text=text,
                url=url,
                sha256=notice_digest(text=text, url=url),
                created_by=actor if isinstance(actor, get_user_model()) else None,
            )
    except IntegrityError:
        raise ValidationError({"version": [f"{purpose.code} already has a notice version {version}."]}) from None
    record_event(
        actor=actor,
        action="notice.published",
        target=notice,
        data={
            "purpose": purpose.code,
            "version": version,
            "language": language,
            "effective_at": effective_at,
            "sha256": notice.sha256,
            "url": url,
            "has_text": bool(text),
        },
    )
    return notice
