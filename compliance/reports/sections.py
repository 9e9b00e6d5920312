"""The sections an audit report may hold, by name: the names are the API's and the form's vocabulary.

A request lists the sections it wants; they always render in the order below,
after the cover and the table of contents (which every report has).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionInfo:
    """A section of the report: its name (in requests), its heading, and what it holds."""

    name: str
    title: str
    description: str


SECTIONS: tuple[SectionInfo, ...] = (
    SectionInfo("summary", "Executive summary", "Scores per framework with their charts, and the figures of every register."),
    SectionInfo(
        "frameworks",
        "Frameworks",
        "Per framework: each requirement's status, its controls, the evidence behind it (title, dates, SHA-256) "
        "and the automated checks' history over the period.",
    ),
    SectionInfo(
        "rights",
        "Rights requests",
        "Erasure and access requests received in the period: statistics and the list, by pseudonymous id only.",
    ),
    SectionInfo("consent", "Consent", "Consent coverage per purpose: granted, withdrawn, refused, lapsed, never asked."),
    SectionInfo(
        "datasets", "Dataset register", "Every dataset: classification, location kinds, encryption, retention, lawful bases."
    ),
    SectionInfo(
        "models",
        "Models and training runs",
        "ML models and their training runs: the privacy technique used and the impact of erasure requests.",
    ),
    SectionInfo("training", "Staff training", "Completion of the required staff training."),
    SectionInfo(
        "audit",
        "Audit log",
        "Events of the period by action, the result of walking the hash chain, and the chain head signed with the integrity key.",
    ),
    SectionInfo("definitions", "Definitions", "What the report's terms and statuses mean."),
)
SECTION_NAMES: tuple[str, ...] = tuple(section.name for section in SECTIONS)
BY_NAME = {section.name: section for section in SECTIONS}


def ordered(names) -> list[str]:
    """Return the known names among ``names`` in the report's order, each once."""
    wanted = set(names)
    return [name for name in SECTION_NAMES if name in wanted]
