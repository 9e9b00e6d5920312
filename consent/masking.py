"""Identifiers as pages show them to people who may not read them in clear.

``j***@example.com``, ``+44 ******0000``, ``J***``: enough to tell two people
apart on a screen, not enough to contact either. The domain of an email and the
country code and last four digits of a phone stay visible, as support desks
commonly show them.
"""

import phonenumbers

MASK = "***"
PHONE_VISIBLE_DIGITS = 4


def mask_email(email: str | None) -> str:
    """Return ``jane@example.com`` as ``j***@example.com`` (empty for no email)."""
    if not email:
        return ""
    local, at, domain = email.rpartition("@")
    if not at:
        return MASK
    return f"{local[:1]}{MASK}@{domain}"


def mask_phone(phone: str | None) -> str:
    """Return ``+442079460000`` as ``+44 ******0000`` (empty for no phone)."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        digits = "".join(character for character in phone if character.isdigit())
        return "*" * max(len(digits) - PHONE_VISIBLE_DIGITS, 0) + digits[-PHONE_VISIBLE_DIGITS:]
    national = phonenumbers.national_significant_number(number)
    hidden = max(len(national) - PHONE_VISIBLE_DIGITS, 0)
    return f"+{number.country_code} {'*' * hidden}{national[hidden:]}"


def mask_name(name: str | None) -> str:
    """Return ``Jane Doe`` as ``J***`` (empty for no name)."""
    if not name or not name.strip():
        return ""
    return f"{name.strip()[:1]}{MASK}"


def masked_identifiers(subject) -> dict[str, str]:
    """Return the subject's email, phone and name masked, keyed by field."""
    return {"email": mask_email(subject.email), "phone": mask_phone(subject.phone), "name": mask_name(subject.name)}
