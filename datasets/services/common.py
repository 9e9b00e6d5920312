"""Small pieces the registry's services share: cleaning values, slugs, audit diffs."""

import math
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from compliance.accounts.roles import Role


class FieldErrors:
    """Collects messages per field and raises them together as one ValidationError."""

    def __init__(self):
        self.by_field: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def check(self, name: str, clean: Callable[[], Any], default: Any = None) -> Any:
        """Return ``clean()``, or record its ValidationError under ``name`` and return ``default``."""
        try:
            return clean()
        except ValidationError as error:
            for message in error.messages:
                self.add(name, message)
            return default

    def collect(self, clean: Callable[[], Any]) -> Any:
        """Return ``clean()``, or merge its ValidationError's messages per field and return None."""
        try:
            return clean()
        except ValidationError as error:
            per_field = error.message_dict.items() if hasattr(error, "error_dict") else [("__all__", error.messages)]
            for name, messages in per_field:
                for message in messages:
                    self.add(name, message)
            return None

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def clean_text(value: Any, *, label: str, max_length: int, required: bool = False) -> str:
    """Return ``value`` stripped; raise ValidationError when required and empty, or too long."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValidationError(f"Give the {label}.")
    if len(text) > max_length:
        raise ValidationError(f"The {label} is {len(text)} characters long; the limit is {max_length}.")
    return text


def clean_choice(value: Any, choices: type[models.TextChoices], *, label: str) -> str:
    if value not in choices.values:
        raise ValidationError(f"Unknown {label} {value!r}. Use one of: {', '.join(choices.values)}.")
    return str(value)


def clean_number(
    value: Any,
    *,
    label: str,
    minimum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    whole: bool = False,
    maximum: float | None = None,
) -> float | int | None:
    """Return ``value`` as a number within the bounds given, None for None; raise ValidationError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"The {label} must be a number.")
    if whole and (isinstance(value, float) and not value.is_integer()):
        raise ValidationError(f"The {label} must be a whole number.")
    value = int(value) if whole else float(value)
    if minimum is not None and value < minimum:
        raise ValidationError(f"The {label} must be at least {minimum:g}.")
    if above is not None and value <= above:
        raise ValidationError(f"The {label} must be above {above:g}.")
    if below is not None and value >= below:
        raise ValidationError(f"The {label} must be below {below:g}.")
    if maximum is not None and value > maximum:
        raise ValidationError(f"The {label} must be at most {maximum:g}.")
    return value


def format_number(value: float) -> str:
    """Return a figure for a message: 2.0, 9.5, 0.3 (never 0.30000000000000004)."""
    rounded = round(float(value), 6)
    return str(int(rounded)) + ".0" if rounded.is_integer() else str(rounded)


def reserved_slugs(model: type[models.Model]) -> frozenset[str]:
    """Return the words ``model``'s pages use as fixed addresses (``new``, ``import``…)."""
    return getattr(model, "RESERVED_SLUGS", frozenset())


def clean_slug(value: str, *, model: type[models.Model], label: str) -> str:
    slug = value.strip()
    if slug != slugify(slug) or not slug or len(slug) > 100:
        raise ValidationError(
            f"{value!r} is not a valid slug: use 1 to 100 lower-case letters, digits and hyphens."
        )
    if slug in reserved_slugs(model):
        raise ValidationError(f"{slug!r} names a page of its own and cannot be a {label}'s slug; choose another.")
    if model._default_manager.filter(slug=slug).exists():
        raise ValidationError(f"A {label} with the slug {slug!r} already exists.")
    return slug


def unique_slug(name: str, *, model: type[models.Model], fallback: str) -> str:
    """Return a slug derived from ``name`` that ``model`` does not use yet (``-2``, ``-3``… when taken)."""
    base = slugify(name)[:90].strip("-") or fallback
    taken = set(model._default_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= reserved_slugs(model)
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def require_role(user, role: Role, *, message: str) -> None:
    """Raise ValidationError(message) unless ``user`` is an active account holding ``role``."""
    User = get_user_model()
    if not isinstance(user, User) or not user.is_active or not user.groups.filter(name=role).exists():
        raise ValidationError(message)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return ``{field: {"from": old, "to": new}}`` for the fields whose value changed."""
    return {name: {"from": before.get(name), "to": value} for name, value in after.items() if before.get(name) != value}


def audited_changes(before: dict[str, Any], after: dict[str, Any], *, summarise, long_text: str) -> dict[str, Any]:
    """Return the audit diff of an edit: changed values as summarised, and only whether ``long_text`` changed."""
    changed = diff(summarise(before), summarise(after))
    if before.get(long_text) != after.get(long_text):
        changed[long_text] = {"changed": True}
    return changed


def save_values(instance: models.Model, values: dict[str, Any]) -> None:
    """Set ``values`` on ``instance`` and save it."""
    for name, value in values.items():
        setattr(instance, name, value)
    instance.save()


def distinct(values: Iterable[Any]) -> list[Any]:
    """Return ``values`` without repeats, in first-seen order."""
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen
