"""The registers Custos exports, what each row holds, and who may take each one away.

Each ``Register`` names its columns, says who may export it (the roles of
DESIGN.md: the DPO, compliance managers and auditors read every register that
holds no personal data in clear; stewards export only the datasets and
locations they were granted) and yields its rows lazily through the owning
app's permission-scoped selectors, in keyset pages of ``paging.BATCH_SIZE`` rows
(``compliance.audit.exports.batched``), so memory stays flat however large the
register and the number of queries grows with pages, never with rows.

What is left out on purpose: storage credentials (never loaded), subjects'
and requesters' identifiers (rights requests carry the subject's pseudonymous
external id only; consent coverage is counts per purpose), free-text notes
about people (verification and rejection notes), evidence files' stored names.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from compliance.audit import selectors as audit_selectors
from compliance.audit.exports import ExportError
from compliance.controls import check_selectors
from compliance.reports.exports.compliance_rows import (
    ASSESSMENT_COLUMNS,
    AUDIT_COLUMNS,
    CHECK_COLUMNS,
    CONTROL_COLUMNS,
    EVIDENCE_COLUMNS,
    TRAINING_COLUMNS,
    assessment_rows,
    audit_rows,
    check_rows_export,
    control_rows,
    evidence_rows,
    training_rows,
)
from compliance.reports.exports.permissions import holds_any
from compliance.reports.exports.registry_rows import (
    CONSENT_COLUMNS,
    DATASET_COLUMNS,
    LOCATION_COLUMNS,
    RIGHTS_COLUMNS,
    consent_rows,
    dataset_rows,
    location_rows,
    may_export_rights,
    rights_rows,
)
from compliance.staff_training import selectors as training_selectors
from datasets import selectors as dataset_selectors

CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Filter:
    """One filter a register's export accepts as a query parameter: a code, or a date (``kind="date"``)."""

    name: str
    label: str
    kind: str = "code"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Register:
    """One register: its file name, title, columns, who may export it, and how its rows are read."""

    name: str
    title: str
    description: str
    columns: tuple[str, ...]
    may_export: Callable[[Any], bool]
    rows: Callable[..., Iterable[Any]]
    filters: tuple[Filter, ...] = field(default_factory=tuple)

    def parse_filters(self, query: Mapping[str, str]) -> dict[str, Any]:
        """Return the filters given in ``query`` (unknown parameters ignored); raise ExportError for a bad value."""
        parsed: dict[str, Any] = {}
        for wanted in self.filters:
            raw = (query.get(wanted.name) or "").strip()
            if not raw:
                continue
            if wanted.kind == "date":
                try:
                    parsed[wanted.name] = date.fromisoformat(raw)
                except ValueError:
                    raise ExportError(f"{wanted.label}: write a date as YYYY-MM-DD, for example 2026-01-31.") from None
            elif wanted.choices and raw not in wanted.choices:
                raise ExportError(f"{wanted.label}: choose one of {', '.join(wanted.choices)}, not {raw!r}.")
            elif not CODE.match(raw):
                raise ExportError(f"{wanted.label}: write a code (letters, digits, '.', '-', '_'), not {raw!r}.")
            else:
                parsed[wanted.name] = raw
        return parsed


# --- The registry ---------------------------------------------------------------------------------

_REGISTERS = (
    Register(
        name="datasets",
        title="Datasets",
        description="The registry: classification, purposes, lawful bases, retention, encryption and anonymisation.",
        columns=DATASET_COLUMNS,
        may_export=holds_any("datasets.view_dataset", "datasets.add_dataset"),
        rows=dataset_rows,
        filters=(
            Filter("sensitivity", "Sensitivity"),
            Filter("regulation", "Regulation"),
            Filter("status", "Status", choices=("active", "archived")),
            Filter("missing", "Missing", choices=tuple(dataset_selectors.MISSING_FILTERS)),
        ),
    ),
    Register(
        name="locations",
        title="Storage locations",
        description="Where each dataset is stored, with the redacted target; never connection secrets.",
        columns=LOCATION_COLUMNS,
        may_export=holds_any("datasets.view_dataset", "datasets.add_dataset"),
        rows=location_rows,
    ),
    Register(
        name="consent-coverage",
        title="Consent coverage",
        description="Per purpose: subjects who consent now, withdrew, refused, lapsed or never answered. Counts only.",
        columns=CONSENT_COLUMNS,
        may_export=holds_any("consent.view_consentstate"),
        rows=consent_rows,
    ),
    Register(
        name="rights-requests",
        title="Rights requests",
        description="Erasure and access requests with their clocks and outcomes; subjects by pseudonymous id only.",
        columns=RIGHTS_COLUMNS,
        may_export=may_export_rights,
        rows=rights_rows,
        filters=(
            Filter("kind", "Kind", choices=("erasure", "access")),
            Filter("status", "Status"),
            Filter("regulation", "Regulation"),
        ),
    ),
    Register(
        name="assessments",
        title="Assessments",
        description="Every requirement's status in every assessment, with the assessment's score.",
        columns=ASSESSMENT_COLUMNS,
        may_export=holds_any("controls.view_assessment"),
        rows=assessment_rows,
    ),
    Register(
        name="evidence",
        title="Evidence",
        description="Evidence metadata: title, file name as shown, type, size, SHA-256, dates, links. Not the files.",
        columns=EVIDENCE_COLUMNS,
        may_export=holds_any("controls.view_evidence"),
        rows=evidence_rows,
    ),
    Register(
        name="controls",
        title="Controls",
        description="Controls with their status, mapped requirements, checks and the checks' latest results.",
        columns=CONTROL_COLUMNS,
        may_export=lambda user: holds_any("controls.view_control")(user) and holds_any(check_selectors.VIEW_PERMISSION)(user),
        rows=control_rows,
    ),
    Register(
        name="checks",
        title="Automated checks",
        description="Every automated check with its latest result.",
        columns=CHECK_COLUMNS,
        may_export=holds_any(check_selectors.VIEW_PERMISSION),
        rows=check_rows_export,
    ),
    Register(
        name="training",
        title="Staff training",
        description="Completion per course and per policy version in force: required, completed, overdue. Counts only.",
        columns=TRAINING_COLUMNS,
        may_export=holds_any(training_selectors.VIEW_ASSIGNMENT),
        rows=training_rows,
    ),
    Register(
        name="audit-log",
        title="Audit log",
        description="The hash-chained audit log, oldest first, with each event's hashes so the chain can be re-verified.",
        columns=AUDIT_COLUMNS,
        may_export=holds_any(audit_selectors.VIEW_PERMISSION),
        rows=audit_rows,
        filters=(
            Filter("action", "Action"),
            Filter("period_from", "From", kind="date"),
            Filter("period_to", "To", kind="date"),
        ),
    ),
)
REGISTERS: dict[str, Register] = {register.name: register for register in _REGISTERS}


def registers_for_user(user) -> list[Register]:
    """Return the registers ``user`` may export, in the Exports page's order."""
    return [register for register in REGISTERS.values() if register.may_export(user)]


def register_for_user(user, name: str) -> Register | None:
    """Return register ``name`` if ``user`` may export it, else None (the view answers 404 for both)."""
    register = REGISTERS.get(name)
    return register if register is not None and register.may_export(user) else None
