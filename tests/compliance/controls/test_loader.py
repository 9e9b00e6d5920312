"""The catalog loader and ``manage.py load_frameworks``: validation, idempotence, upgrades in place."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from compliance.audit.models import AuditEvent
from compliance.controls import services
from compliance.controls.loader import CatalogError, parse_catalog, parse_controls
from compliance.controls.models import Control, Framework, Requirement, RequirementAssessment
from tests.compliance.controls.conftest import CONTROLS_FILE, V1, V2, load, make_assessment, requirement

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    directory = tmp_path / "catalogs"
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = """framework:
  code: bad
  name: Bad
  version: "1"
  source: Test
  jurisdiction: Nowhere
requirements:
"""


def test_it_loads_the_tree_in_document_order_with_depths_and_parents():
    summary = load()

    framework = Framework.objects.get(code="demo")
    refs = list(Requirement.objects.filter(framework=framework).order_by("position").values_list("ref", "depth", "parent__ref"))
    assert refs == [
        ("Chapter I", 0, None),
        ("Art. 1", 1, "Chapter I"),
        ("Art. 1(1)", 2, "Art. 1"),
        ("Art. 1(2)", 2, "Art. 1"),
        ("Art. 2", 1, "Chapter I"),
        ("Art. 2(1)", 2, "Art. 2"),
        ("Chapter II", 0, None),
        ("Art. 3", 1, "Chapter II"),
    ]
    assert requirement("Art. 1(1)").evidence_examples == ["Encryption configuration of each store"]
    assert summary.lines() == [
        "demo 1: loaded 8 requirements.",
        "default controls: 2 created, 0 updated, 0 unchanged; 3 mapping(s) added.",
    ]
    event = AuditEvent.objects.get(action="controls.framework_loaded")
    assert event.target_id == str(framework.pk)
    assert event.data["outcome"] == "loaded" and event.data["added"] == 8
    control = Control.objects.get(code="CTL-ERA-01")
    assert control.is_default
    assert sorted(control.requirements.values_list("ref", flat=True)) == ["Art. 1(2)", "Art. 3"]
    assert Control.objects.get(code="CTL-ENC-01").checks == ["datasets.personal_data_encrypted"]


def test_loading_the_same_catalogs_again_changes_nothing_and_records_no_event():
    load()
    before = (AuditEvent.objects.count(), list(Requirement.objects.values()), list(Framework.objects.values()))

    summary = load()

    assert summary.lines() == ["demo 1: unchanged.", "default controls: unchanged (2)."]
    assert (AuditEvent.objects.count(), list(Requirement.objects.values()), list(Framework.objects.values())) == before


def test_an_upgrade_keeps_unchanged_requirements_marks_changed_ones_and_adds_new_ones_to_open_assessments(manager):
    load()
    framework = Framework.objects.get(code="demo")
    assessment = make_assessment(framework, manager)
    unchanged = RequirementAssessment.objects.get(assessment=assessment, requirement__ref="Art. 1(1)")
    services.update_requirement_assessment(actor=manager, item=unchanged, status="compliant", notes="Checked")
    kept_ids = dict(Requirement.objects.values_list("ref", "pk"))

    summary = load(V2, controls_file=None)

    assert summary.lines() == [
        "demo 1 → 2: upgraded — 1 added, 1 changed, 2 retired, 5 unchanged; "
        "1 assessment row(s) marked for review, 1 added to open assessments."
    ]
    rows = {row.requirement.ref: row for row in RequirementAssessment.objects.filter(assessment=assessment).select_related("requirement")}
    assert rows["Art. 1(1)"].status == "compliant" and not rows["Art. 1(1)"].needs_review
    assert rows["Art. 1(2)"].needs_review
    assert not rows["Art. 3"].needs_review
    assert rows["Art. 1(3)"].status == "not_started"
    # The retired requirement keeps its row, and its id: assessments and mappings still point at it.
    assert rows["Art. 2(1)"].requirement.retired_at is not None
    assert Requirement.objects.get(ref="Art. 1(2)").pk == kept_ids["Art. 1(2)"]
    assert Requirement.objects.get(ref="Art. 1(2)").evidence_examples == ["Access review minutes", "MFA enrolment report"]
    framework.refresh_from_db()
    assert framework.version == "2"
    event = AuditEvent.objects.filter(action="controls.framework_loaded").latest("sequence")
    assert event.data | {"content_sha256": ""} == {
        "code": "demo", "version": "2", "previous_version": "1", "outcome": "upgraded", "added": 1, "changed": 1,
        "retired": 2, "unchanged": 5, "reviews_marked": 1, "content_sha256": "",
    }


def test_an_assessment_whose_period_has_ended_gets_no_new_rows(manager):
    load()
    from datetime import date

    closed = make_assessment(Framework.objects.get(code="demo"), manager, period_start=date(2020, 1, 1), period_end=date(2020, 12, 31))

    load(V2, controls_file=None)

    assert not closed.items.filter(requirement__ref="Art. 1(3)").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('  - ref: "A"\n    title: A\n    assessable: true\n    evidence: [x]\n', "bad.yaml, A: 'guidance' is required and must not be empty."),
        ('  - ref: "A"\n    title: A\n    assessable: true\n    guidance: g\n', "bad.yaml, A: an assessable requirement needs 'evidence'"),
        ('  - ref: "A"\n    title: A\n', "bad.yaml, A: a requirement that is not assessable must have children."),
        ('  - ref: "A"\n    title: A\n    colour: red\n    children: []\n', "bad.yaml, A: unknown key(s) colour"),
        ('  - ref: 164.310\n    title: A\n', "bad.yaml: requirement #1 at the top level has no ref, or a ref that is not quoted text (164.31)."),
        (
            '  - ref: "A"\n    title: A\n    children:\n      - ref: "A"\n        title: again\n        assessable: true\n        guidance: g\n        evidence: [x]\n',
            "bad.yaml, A: the ref is used twice",
        ),
        (
            '  - ref: "A"\n    title: A\n    assessable: true\n    guidance: g\n    evidence: [x]\n    implementation: optional\n',
            "bad.yaml, A: 'implementation' must be required or addressable, not 'optional'.",
        ),
        ('  - ref: "A"\n    title: [A\n', "bad.yaml: not valid YAML at line"),
    ],
)
def test_a_bad_catalog_is_refused_naming_the_file_and_the_ref(tmp_path, body, message):
    path = write(tmp_path, HEAD + body)

    with pytest.raises(CatalogError) as refused:
        parse_catalog(path)

    assert message in str(refused.value)


def test_the_command_refuses_a_bad_file_before_loading_any(tmp_path):
    directory = write(tmp_path, HEAD + '  - ref: "A"\n    title: A\n').parent
    (directory / "demo.yaml").write_text((V1 / "demo.yaml").read_text())

    with pytest.raises(CommandError, match="bad.yaml, A: a requirement that is not assessable must have children."):
        call_command("load_frameworks", "--path", str(directory), "--controls", str(CONTROLS_FILE))

    assert not Framework.objects.exists()


def test_the_command_prints_what_it_did_per_framework():
    out = StringIO()
    call_command("load_frameworks", "--path", str(V1), "--controls", str(CONTROLS_FILE), stdout=out)
    call_command("load_frameworks", "--path", str(V1), "--controls", str(CONTROLS_FILE), stdout=out)

    assert out.getvalue().splitlines() == [
        "demo 1: loaded 8 requirements.",
        "default controls: 2 created, 0 updated, 0 unchanged; 3 mapping(s) added.",
        "demo 1: unchanged.",
        "default controls: unchanged (2).",
    ]


def test_a_control_mapped_to_an_unknown_ref_fails_with_the_control_and_the_ref(tmp_path):
    controls = tmp_path / "controls.yaml"
    controls.write_text('- code: CTL-X-01\n  title: X\n  maps: ["demo:Art. 99"]\n')

    with pytest.raises(CatalogError, match=r"controls.yaml, CTL-X-01: maps to demo:Art. 99, which no loaded framework has"):
        load(controls_file=controls)

    assert not Control.objects.exists()


def test_a_control_file_with_a_bad_map_is_refused(tmp_path):
    controls = tmp_path / "controls.yaml"
    controls.write_text('- code: CTL-X-01\n  title: X\n  maps: ["Art. 5"]\n')

    with pytest.raises(CatalogError, match="controls.yaml, CTL-X-01: map 'Art. 5' is not 'framework:ref'"):
        parse_controls(controls)


def test_reloading_controls_keeps_the_mappings_a_manager_added(manager):
    load()
    control = Control.objects.get(code="CTL-ENC-01")
    services.map_requirements(actor=manager, control=control, requirements=[requirement("Art. 2(1)")])

    load()

    assert sorted(control.requirements.values_list("ref", flat=True)) == ["Art. 1(1)", "Art. 2(1)"]
