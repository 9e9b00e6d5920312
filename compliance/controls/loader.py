"""Load the framework catalogs (``frameworks/*.yaml``) and the default control set (``defaults/controls.yaml``).

Parsing validates a file completely against the catalog schema (see
``CATALOG_NODE_KEYS``) before anything is written, and names the file and the
requirement at fault. Loading is idempotent, one transaction per framework:

* the same content again → "unchanged", nothing written, no audit event;
* a new version → requirements updated in place by ref (a requirement keeps
  its id, so its assessments and control mappings survive), new ones added
  (and added as ``not_started`` to the framework's open assessments), dropped
  ones retired, and every assessment of a requirement whose content changed
  marked ``needs_review``; requirements whose content did not change keep their
  assessments untouched.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.controls.models import (
    Assessment,
    Control,
    Framework,
    Requirement,
    RequirementAssessment,
    RequirementImplementation,
)

FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"
DEFAULT_CONTROLS_FILE = Path(__file__).resolve().parent / "defaults" / "controls.yaml"
FRAMEWORK_KEYS = {"code", "name", "version", "source", "jurisdiction", "description"}
REQUIRED_FRAMEWORK_KEYS = ("code", "name", "version", "source", "jurisdiction")
CATALOG_NODE_KEYS = {"ref", "title", "children", "assessable", "guidance", "evidence", "implementation", "summary"}
CONTROL_KEYS = {"code", "title", "description", "checks", "maps"}
IMPLEMENTATIONS = {RequirementImplementation.REQUIRED.value, RequirementImplementation.ADDRESSABLE.value}


class CatalogError(Exception):
    """A catalog or control file breaks the schema; the message names the file and the requirement or control."""


def _sha256(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RequirementSpec:
    """One node of a catalog, flattened in document order with its parent's ref."""

    ref: str
    title: str
    guidance: str
    evidence: tuple[str, ...]
    assessable: bool
    implementation: str
    summary: str
    parent_ref: str | None
    position: int
    depth: int

    @property
    def content_sha256(self) -> str:
        """Return the digest of what an assessor reads; a change to it marks assessments for review."""
        return requirement_digest(
            title=self.title,
            guidance=self.guidance,
            evidence=list(self.evidence),
            assessable=self.assessable,
            implementation=self.implementation,
        )


def requirement_digest(*, title: str, guidance: str, evidence: list[str], assessable: bool, implementation: str) -> str:
    """Return the SHA-256 of a requirement's title, guidance, evidence, assessable flag and implementation."""
    return _sha256(
        {
            "title": title,
            "guidance": guidance,
            "evidence": evidence,
            "assessable": assessable,
            "implementation": implementation,
        }
    )


@dataclass(frozen=True)
class Catalog:
    """A parsed, valid catalog file."""

    path: Path
    code: str
    name: str
    version: str
    source: str
    jurisdiction: str
    description: str
    requirements: tuple[RequirementSpec, ...]
    content_sha256: str

    @property
    def assessable_count(self) -> int:
        return sum(1 for spec in self.requirements if spec.assessable)


def _text(value: Any, *, where: str, key: str, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise CatalogError(f"{where}: '{key}' must be text, not {type(value).__name__} ({value!r}).")
    value = value.strip()
    if required and not value:
        raise CatalogError(f"{where}: '{key}' is required and must not be empty.")
    return value


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as error:
        raise CatalogError(f"{path.name}: no such file ({path}).") from error
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path.name}: not UTF-8 text ({error.reason} at byte {error.start}).") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CatalogError(f"{path.name}: not valid YAML{at}: {getattr(error, 'problem', None) or error}.") from error


class _CatalogParser:
    def __init__(self, path: Path):
        self.path = path
        self.specs: list[RequirementSpec] = []
        self.seen: set[str] = set()

    def node(self, raw: Any, *, parent_ref: str | None, depth: int, index: int) -> None:
        name = self.path.name
        if not isinstance(raw, dict):
            under = f"under {parent_ref}" if parent_ref else "at the top level"
            raise CatalogError(f"{name}: requirement #{index + 1} {under} is not a mapping of keys.")
        ref = raw.get("ref")
        if not isinstance(ref, str) or not ref.strip():
            under = f"under {parent_ref}" if parent_ref else "at the top level"
            raise CatalogError(
                f"{name}: requirement #{index + 1} {under} has no ref, or a ref that is not quoted text ({ref!r})."
            )
        ref = ref.strip()
        where = f"{name}, {ref}"
        unknown = sorted(set(raw) - CATALOG_NODE_KEYS)
        if unknown:
            raise CatalogError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(CATALOG_NODE_KEYS))}.")
        if ref in self.seen:
            raise CatalogError(f"{where}: the ref is used twice; refs must be unique within a framework.")
        self.seen.add(ref)
        assessable = raw.get("assessable", False)
        if not isinstance(assessable, bool):
            raise CatalogError(f"{where}: 'assessable' must be true or false, not {assessable!r}.")
        children = raw.get("children") or []
        if not isinstance(children, list):
            raise CatalogError(f"{where}: 'children' must be a list.")
        title = _text(raw.get("title"), where=where, key="title", required=True)
        guidance = _text(raw.get("guidance"), where=where, key="guidance", required=assessable)
        evidence = raw.get("evidence") or []
        if not isinstance(evidence, list) or not all(isinstance(item, str) and item.strip() for item in evidence):
            raise CatalogError(f"{where}: 'evidence' must be a list of non-empty texts.")
        if assessable and not evidence:
            raise CatalogError(f"{where}: an assessable requirement needs 'evidence' (what an auditor would ask to see).")
        implementation = raw.get("implementation", "") or ""
        if implementation and implementation not in IMPLEMENTATIONS:
            raise CatalogError(f"{where}: 'implementation' must be required or addressable, not {implementation!r}.")
        if assessable and children:
            raise CatalogError(f"{where}: an assessable requirement must be a leaf; it has children.")
        if not assessable and not children:
            raise CatalogError(f"{where}: a requirement that is not assessable must have children.")
        self.specs.append(
            RequirementSpec(
                ref=ref,
                title=title,
                guidance=guidance,
                evidence=tuple(item.strip() for item in evidence),
                assessable=assessable,
                implementation=implementation,
                summary=_text(raw.get("summary"), where=where, key="summary", required=False),
                parent_ref=parent_ref,
                position=len(self.specs),
                depth=depth,
            )
        )
        for child_index, child in enumerate(children):
            self.node(child, parent_ref=ref, depth=depth + 1, index=child_index)


def parse_catalog(path: Path) -> Catalog:
    """Read and validate one catalog file; raise CatalogError naming the file and ref at fault."""
    path = Path(path)
    document = _read_yaml(path)
    name = path.name
    if not isinstance(document, dict) or "framework" not in document or "requirements" not in document:
        raise CatalogError(f"{name}: a catalog has two top-level keys, 'framework' and 'requirements'.")
    extra = sorted(set(document) - {"framework", "requirements"})
    if extra:
        raise CatalogError(f"{name}: unknown top-level key(s) {', '.join(extra)}.")
    meta = document["framework"]
    if not isinstance(meta, dict):
        raise CatalogError(f"{name}: 'framework' must be a mapping (code, name, version, ...).")
    unknown = sorted(set(meta) - FRAMEWORK_KEYS)
    if unknown:
        raise CatalogError(f"{name}, framework: unknown key(s) {', '.join(unknown)}.")
    where = f"{name}, framework"
    values = {key: _text(meta.get(key), where=where, key=key, required=key in REQUIRED_FRAMEWORK_KEYS) for key in FRAMEWORK_KEYS}
    requirements = document["requirements"]
    if not isinstance(requirements, list) or not requirements:
        raise CatalogError(f"{name}: 'requirements' must be a non-empty list.")
    parser = _CatalogParser(path)
    for index, raw in enumerate(requirements):
        parser.node(raw, parent_ref=None, depth=0, index=index)
    specs = tuple(parser.specs)
    return Catalog(
        path=path,
        requirements=specs,
        content_sha256=_sha256({"framework": values, "requirements": [spec.__dict__ for spec in specs]}),
        **values,
    )


def catalog_files(directory: Path) -> list[Path]:
    """Return the catalog files in ``directory``, by name."""
    return sorted(Path(directory).glob("*.yaml"))


# --- Loading frameworks --------------------------------------------------------------------


@dataclass
class LoadReport:
    """What loading one framework did."""

    code: str
    version: str
    outcome: str  # "loaded" | "upgraded" | "unchanged"
    previous_version: str = ""
    added: int = 0
    changed: int = 0
    retired: int = 0
    restored: int = 0
    unchanged: int = 0
    reviews_marked: int = 0
    assessment_rows_added: int = 0
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """Return the one line the command prints for this framework."""
        if self.outcome == "unchanged":
            return f"{self.code} {self.version}: unchanged."
        if self.outcome == "loaded":
            return f"{self.code} {self.version}: loaded {self.added} requirements."
        return (
            f"{self.code} {self.previous_version} → {self.version}: upgraded — {self.added} added, {self.changed} changed, "
            f"{self.retired} retired, {self.unchanged} unchanged; {self.reviews_marked} assessment row(s) marked for review, "
            f"{self.assessment_rows_added} added to open assessments."
        )


def open_assessments(framework: Framework):
    """Return the framework's assessments whose period has not ended: upgrades add new requirements to them."""
    return Assessment.objects.filter(framework=framework, period_end__gte=timezone.localdate())


def _apply(requirement: Requirement, spec: RequirementSpec, parent: Requirement | None) -> None:
    requirement.title = spec.title
    requirement.guidance = spec.guidance
    requirement.evidence_examples = list(spec.evidence)
    requirement.assessable = spec.assessable
    requirement.implementation = spec.implementation
    requirement.summary = spec.summary
    requirement.parent = parent
    requirement.position = spec.position
    requirement.depth = spec.depth
    requirement.content_sha256 = spec.content_sha256


@transaction.atomic
def load_framework(*, actor, catalog: Catalog) -> LoadReport:
    """Load ``catalog`` or upgrade its framework in place; return what was done (audited unless unchanged)."""
    now = timezone.now()
    framework = Framework.objects.select_for_update().filter(code=catalog.code).first()
    report = LoadReport(code=catalog.code, version=catalog.version, outcome="loaded")
    if framework is not None:
        if framework.content_sha256 == catalog.content_sha256:
            report.outcome = "unchanged"
            return report
        report.outcome = "upgraded"
        report.previous_version = framework.version
        if framework.version == catalog.version:
            report.notes.append(f"{catalog.path.name}: the content changed but the version did not; bump 'version'.")
    else:
        framework = Framework(code=catalog.code)
    for key in ("name", "version", "source", "jurisdiction", "description", "content_sha256"):
        setattr(framework, key, getattr(catalog, key))
    framework.loaded_at = now
    framework.save()

    existing = {requirement.ref: requirement for requirement in Requirement.objects.filter(framework=framework)}
    by_ref: dict[str, Requirement] = {}
    changed_ids: list[int] = []
    to_update: list[Requirement] = []
    for spec in catalog.requirements:
        parent = by_ref[spec.parent_ref] if spec.parent_ref else None
        requirement = existing.get(spec.ref)
        if requirement is None:
            requirement = Requirement(framework=framework, ref=spec.ref)
            _apply(requirement, spec, parent)
            requirement.save()
            report.added += 1
        else:
            if requirement.content_sha256 != spec.content_sha256:
                changed_ids.append(requirement.pk)
                report.changed += 1
            elif requirement.retired_at is not None:
                report.restored += 1
            else:
                report.unchanged += 1
            _apply(requirement, spec, parent)
            requirement.retired_at = None
            to_update.append(requirement)
        by_ref[spec.ref] = requirement
    if to_update:
        Requirement.objects.bulk_update(
            to_update,
            [
                "title", "guidance", "evidence_examples", "assessable", "implementation", "summary",
                "parent", "position", "depth", "content_sha256", "retired_at",
            ],
            batch_size=500,
        )
    dropped = [
        requirement.pk for ref, requirement in existing.items() if ref not in by_ref and requirement.retired_at is None
    ]
    if dropped:
        # Retired rather than deleted: assessments and mappings keep pointing at them.
        report.retired = Requirement.objects.filter(pk__in=dropped).update(retired_at=now)
    if changed_ids:
        report.reviews_marked = RequirementAssessment.objects.filter(requirement_id__in=changed_ids).update(
            needs_review=True
        )
    report.assessment_rows_added = _add_missing_rows(framework)
    record_event(
        actor=actor,
        action="controls.framework_loaded",
        target=framework,
        data={
            "code": framework.code,
            "version": framework.version,
            "previous_version": report.previous_version,
            "outcome": report.outcome,
            "added": report.added,
            "changed": report.changed,
            "retired": report.retired,
            "unchanged": report.unchanged,
            "reviews_marked": report.reviews_marked,
            "content_sha256": framework.content_sha256,
        },
    )
    return report


def _add_missing_rows(framework: Framework) -> int:
    """Add a not-started row to each open assessment for every current assessable requirement it lacks."""
    assessable = set(
        Requirement.objects.filter(framework=framework, assessable=True, retired_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    rows = []
    for assessment in open_assessments(framework).only("pk"):
        present = set(assessment.items.values_list("requirement_id", flat=True))
        rows += [
            RequirementAssessment(assessment=assessment, requirement_id=pk)
            for pk in sorted(assessable - present)
        ]
    RequirementAssessment.objects.bulk_create(rows, batch_size=500)
    return len(rows)


# --- The default control set ---------------------------------------------------------------


@dataclass(frozen=True)
class ControlSpec:
    code: str
    title: str
    description: str
    checks: tuple[str, ...]
    maps: tuple[tuple[str, str], ...]  # (framework code, requirement ref)


def parse_controls(path: Path) -> list[ControlSpec]:
    """Read and validate a control set file; raise CatalogError naming the file and control at fault."""
    path = Path(path)
    name = path.name
    document = _read_yaml(path)
    if not isinstance(document, list):
        raise CatalogError(f"{name}: a control set is a list of controls (code, title, description, checks, maps).")
    specs, seen = [], set()
    for index, raw in enumerate(document):
        if not isinstance(raw, dict) or not isinstance(raw.get("code"), str) or not raw["code"].strip():
            raise CatalogError(f"{name}: control #{index + 1} has no code.")
        code = raw["code"].strip()
        where = f"{name}, {code}"
        unknown = sorted(set(raw) - CONTROL_KEYS)
        if unknown:
            raise CatalogError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(CONTROL_KEYS))}.")
        if code in seen:
            raise CatalogError(f"{where}: the code is used twice.")
        seen.add(code)
        checks = raw.get("checks") or []
        maps = raw.get("maps") or []
        for key, values in (("checks", checks), ("maps", maps)):
            if not isinstance(values, list) or not all(isinstance(value, str) and value.strip() for value in values):
                raise CatalogError(f"{where}: '{key}' must be a list of texts.")
        pairs = []
        for value in maps:
            framework_code, separator, ref = value.partition(":")
            if not separator or not framework_code.strip() or not ref.strip():
                raise CatalogError(f"{where}: map {value!r} is not 'framework:ref', for example 'gdpr:Art. 32(1)(a)'.")
            pairs.append((framework_code.strip(), ref.strip()))
        specs.append(
            ControlSpec(
                code=code,
                title=_text(raw.get("title"), where=where, key="title", required=True),
                description=_text(raw.get("description"), where=where, key="description", required=False),
                checks=tuple(value.strip() for value in checks),
                maps=tuple(pairs),
            )
        )
    return specs


@dataclass
class ControlsReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    mappings_added: int = 0

    def describe(self) -> str:
        if not (self.created or self.updated or self.mappings_added):
            return f"default controls: unchanged ({self.unchanged})."
        return (
            f"default controls: {self.created} created, {self.updated} updated, {self.unchanged} unchanged; "
            f"{self.mappings_added} mapping(s) added."
        )


@transaction.atomic
def load_default_controls(*, actor, specs: list[ControlSpec], source: str = "controls.yaml") -> ControlsReport:
    """Create the shipped controls that are missing and bring shipped ones up to the file; add their mappings.

    Mappings a manager added stay: the file only adds. A mapping to a ref no
    loaded framework has fails the whole file, naming the control and the ref.
    """
    wanted = {pair for spec in specs for pair in spec.maps}
    requirements = {
        (framework_code, ref): pk
        for pk, framework_code, ref in Requirement.objects.filter(
            framework__code__in={code for code, _ in wanted}, retired_at__isnull=True
        ).values_list("pk", "framework__code", "ref")
    }
    for spec in specs:
        for pair in spec.maps:
            if pair not in requirements:
                raise CatalogError(
                    f"{source}, {spec.code}: maps to {pair[0]}:{pair[1]}, which no loaded framework has "
                    f"(load the {pair[0]} catalog first, or fix the ref)."
                )
    report = ControlsReport()
    existing = {control.code: control for control in Control.objects.filter(code__in=[spec.code for spec in specs])}
    mapped = set(
        Control.requirements.through.objects.filter(control__code__in=existing).values_list(
            "control__code", "requirement_id"
        )
    )
    through = []
    touched = []
    for spec in specs:
        control = existing.get(spec.code)
        fields = {"title": spec.title, "description": spec.description, "checks": list(spec.checks)}
        if control is None:
            control = Control.objects.create(code=spec.code, is_default=True, **fields)
            report.created += 1
            touched.append(spec.code)
        elif any(getattr(control, key) != value for key, value in fields.items()) or not control.is_default:
            for key, value in fields.items():
                setattr(control, key, value)
            control.is_default = True
            control.save(update_fields=[*fields, "is_default", "updated_at"])
            report.updated += 1
            touched.append(spec.code)
        else:
            report.unchanged += 1
        for pair in spec.maps:
            requirement_id = requirements[pair]
            if (spec.code, requirement_id) not in mapped:
                mapped.add((spec.code, requirement_id))
                through.append(Control.requirements.through(control_id=control.pk, requirement_id=requirement_id))
    Control.requirements.through.objects.bulk_create(through, batch_size=500)
    report.mappings_added = len(through)
    if touched or through:
        record_event(
            actor=actor,
            action="controls.default_controls_loaded",
            target=None,
            data={
                "source": source,
                "created": report.created,
                "updated": report.updated,
                "mappings_added": report.mappings_added,
                "controls": touched[:100],
            },
        )
    return report



@dataclass
class LoadSummary:
    """What ``load_catalogs`` did: a report per framework, and one for the control set (None when skipped)."""

    frameworks: list[LoadReport]
    controls: ControlsReport | None
    skipped_controls: str = ""

    def lines(self) -> list[str]:
        """Return what the command prints: one line per framework and its notes, one for the controls."""
        lines = []
        for report in self.frameworks:
            lines.append(report.describe())
            lines.extend(f"  {note}" for note in report.notes)
        if self.controls is not None:
            lines.append(self.controls.describe())
        elif self.skipped_controls:
            lines.append(f"default controls: {self.skipped_controls} does not exist; skipped.")
        return lines


def load_catalogs(*, actor, directory: Path = FRAMEWORKS_DIR, controls_file: Path | None = DEFAULT_CONTROLS_FILE) -> LoadSummary:
    """Validate every catalog in ``directory`` first, then load each (one transaction apiece), then the control set.

    A file that breaks the schema stops everything before any write.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogError(f"{directory}: no such catalog directory.")
    catalogs = [parse_catalog(path) for path in catalog_files(directory)]
    codes = [catalog.code for catalog in catalogs]
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    if duplicated:
        raise CatalogError(f"{directory}: more than one file declares framework {', '.join(duplicated)}.")
    controls = parse_controls(controls_file) if controls_file and Path(controls_file).exists() else None
    summary = LoadSummary(frameworks=[load_framework(actor=actor, catalog=catalog) for catalog in catalogs], controls=None)
    if controls is not None:
        summary.controls = load_default_controls(actor=actor, specs=controls, source=Path(controls_file).name)
    elif controls_file:
        summary.skipped_controls = str(controls_file)
    return summary
