"""Template filters for the controls pages: search-match highlighting."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def highlight(text: str, query: str) -> SafeString:
    """Return ``text`` escaped, with every occurrence of each word of ``query`` wrapped in <mark> (case-insensitive)."""
    escaped = escape(text or "")
    words = sorted({escape(word) for word in (query or "").split() if word}, key=len, reverse=True)
    if not words:
        return mark_safe(escaped)
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    # Matching on the escaped text keeps entities whole only when a word has none of & < > " '; words with them are escaped alike.
    return mark_safe(pattern.sub(lambda match: f"<mark>{match.group(0)}</mark>", escaped))


@register.filter
def percent(value) -> str:
    """Return a score as ``82.5%``, or ``—`` when there is nothing to score."""
    if value is None:
        return "—"
    return f"{value:g}%"
