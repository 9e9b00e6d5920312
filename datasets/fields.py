"""A JSON list of choice codes, and the ``has`` lookup that filters by one code.

Data categories, regulations and lawful bases are small fixed sets of codes that
the API reads and writes as lists. Keeping them as one JSON list per row avoids
three join tables and their prefetches on every list page; ``has`` makes
``Dataset.objects.filter(data_categories__has="health")`` work on SQLite
(``json_each``), PostgreSQL (``@>`` on jsonb) and MySQL (``JSON_CONTAINS``),
where Django's own ``contains`` is not available on SQLite.
"""

import json
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import NotSupportedError, models
from django.db.models import Lookup


class ChoiceListField(models.JSONField):
    """A list of distinct codes from ``choices_class``, stored in the choices' own order.

    ``choices_class`` is validation, not schema, so migrations do not carry it.
    """

    def __init__(self, *args, choices_class: type[models.TextChoices] | None = None, **kwargs):
        self.choices_class = choices_class
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def clean_codes(self, value: Iterable[str] | None) -> list[str]:
        """Return ``value`` as a list of distinct known codes in choice order; raise ValidationError otherwise."""
        return clean_choice_list(value, self.choices_class, label=str(self.verbose_name))

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if self.choices_class is not None:
            self.clean_codes(value)


def clean_choice_list(value: Iterable[str] | None, choices_class, *, label: str) -> list[str]:
    """Return the distinct codes of ``value`` in the order of ``choices_class``.

    Raises ValidationError naming the unknown codes and listing the known ones.
    """
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(f"Give the {label} as a list of codes.")
    codes = list(value)
    if any(not isinstance(code, str) for code in codes):
        raise ValidationError(f"Give the {label} as a list of codes.")
    known = list(choices_class.values)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            f"Unknown {label}: {', '.join(sorted(set(unknown)))}. Use codes from: {', '.join(known)}."
        )
    present = set(codes)
    return [code for code in known if code in present]


@ChoiceListField.register_lookup
class Has(Lookup):
    """``field__has=code``: the list holds ``code``."""

    lookup_name = "has"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        code = str(self.rhs)
        if connection.vendor == "sqlite":
            return f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)", [*lhs_params, code]
        if connection.vendor == "postgresql":
            return f"{lhs} @> %s::jsonb", [*lhs_params, json.dumps([code])]
        if connection.vendor == "mysql":
            return f"JSON_CONTAINS({lhs}, %s)", [*lhs_params, json.dumps(code)]
        raise NotSupportedError(f"The 'has' lookup does not support {connection.vendor}.")
