"""Template filters for the registry's figures: rates as percentages, ε and δ without float noise, JSON for reading."""

import json

from django import template

from datasets.services.common import format_number

register = template.Library()


@register.filter
def percentage(rate) -> str:
    """Return a rate as a person reads it: 0.001 → 0.1%, 1e-9 → 0.0000001%."""
    if rate is None or rate == "":
        return ""
    # Twelve places, then trailing zeros dropped: no exponent (1e-07%) and no float noise (7.000000000000001%).
    return f"{float(rate) * 100:.12f}".rstrip("0").rstrip(".") + "%"


@register.filter
def figure(value) -> str:
    """Return an ε, δ or budget figure without float noise: 0.30000000000000004 → 0.3, 1e-05 stays 1e-05."""
    if value is None or value == "":
        return "—"
    value = float(value)
    # δ is often 1e-5 or smaller, which rounding to six places would show as 0.
    if value and abs(value) < 0.001:
        return f"{value:g}"
    return format_number(value)


@register.filter
def pretty_json(value) -> str:
    """Return JSON indented for reading (escaped by the template like any text)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
