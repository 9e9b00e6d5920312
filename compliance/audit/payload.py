"""An audit event's payload as labelled fields people read, rather than raw JSON.

Used by the audit-log pages (``audit_payload`` template filter) and anywhere a
payload is printed for a reader (the PDF report). The JSON itself stays on the
event's page for those who verify hashes.
"""

from dataclasses import dataclass

# Words people read differently from their key, where a plain title-case would mislead.
LABELS = {
    "sha256": "SHA-256",
    "ip": "IP address",
    "url": "URL",
    "mfa": "MFA",
    "api": "API",
}
MAX_ITEMS = 12


@dataclass(frozen=True)
class PayloadField:
    """One labelled field of a payload: ``label`` for people, ``key`` as stored, ``text`` as shown."""

    key: str
    label: str
    text: str


def label_for(key: str) -> str:
    """Return a readable label for a payload key: ``assessment_id`` → "Assessment id"."""
    words = [LABELS.get(word, word) for word in key.replace("-", "_").split("_") if word]
    if not words:
        return key
    first = words[0] if words[0] in LABELS.values() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def text_for(value) -> str:
    """Return a payload value as text: lists joined, mappings as "key: value", booleans as yes/no, None as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if not value:
            return "none"
        shown = ", ".join(text_for(item) for item in value[:MAX_ITEMS])
        more = len(value) - MAX_ITEMS
        return shown + (f" and {more} more" if more > 0 else "")
    if isinstance(value, dict):
        return "; ".join(f"{label_for(str(key))}: {text_for(item)}" for key, item in sorted(value.items())) or "—"
    return str(value)


def payload_fields(data) -> list[PayloadField]:
    """Return the payload's top-level keys as labelled fields, in key order (the stored JSON is sorted the same way)."""
    if not isinstance(data, dict):
        return [PayloadField("", "Value", text_for(data))] if data not in (None, "", {}) else []
    return [PayloadField(str(key), label_for(str(key)), text_for(value)) for key, value in sorted(data.items())]
