"""The default control set: every ref resolves in the shipped catalogs, every automated check is mapped, and a
failing check turns the shipped controls that name it red once everything is loaded."""

import pytest

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.controls import check_services
from compliance.controls.checks.registry import check_keys
from compliance.controls.loader import DEFAULT_CONTROLS_FILE, FRAMEWORKS_DIR, load_catalogs, parse_catalog, parse_controls
from compliance.controls.models import Control
from datasets.services import create_dataset

SPECS = parse_controls(DEFAULT_CONTROLS_FILE)
CATALOG_CODES = ("gdpr", "hipaa", "ccpa")


def catalog_refs() -> dict[str, dict[str, bool]]:
    """Return, per shipped framework, each requirement's ref and whether it is assessable."""
    return {
        code: {spec.ref: spec.assessable for spec in parse_catalog(FRAMEWORKS_DIR / f"{code}.yaml").requirements}
        for code in CATALOG_CODES
    }


def test_the_default_set_is_a_mature_programme_of_25_to_40_controls():
    assert 25 <= len(SPECS) <= 40
    assert all(spec.code.startswith("CTL-") and spec.title and spec.description for spec in SPECS)
    # Each control counts across the laws it serves: none maps to nothing.
    assert [spec.code for spec in SPECS if not spec.maps] == []


def test_every_mapping_names_an_assessable_requirement_of_a_shipped_catalog():
    refs = catalog_refs()

    unknown = [f"{spec.code} → {code}:{ref}" for spec in SPECS for code, ref in spec.maps if ref not in refs.get(code, {})]
    not_assessable = [f"{spec.code} → {code}:{ref}" for spec in SPECS for code, ref in spec.maps if not refs.get(code, {}).get(ref, True)]

    assert unknown == []
    assert not_assessable == []


def test_every_registered_check_is_mapped_and_every_mapped_check_is_registered():
    mapped = {key for spec in SPECS for key in spec.checks}

    assert sorted(set(check_keys()) - mapped) == []
    assert sorted(mapped - set(check_keys())) == []


def test_each_framework_is_covered_by_the_default_set():
    covered = {code for spec in SPECS for code, _ in spec.maps}

    assert covered == set(CATALOG_CODES)


@pytest.mark.django_db
def test_a_failing_check_turns_the_shipped_controls_naming_it_red(make_user):
    load_catalogs(actor=SystemActor("tests"))
    create_dataset(actor=make_user(Role.DPO), name="Clinic visits", data_categories=["health"], retention_days=30)

    check_services.run_checks(actor=SystemActor("beat"), keys=["datasets.personal_data_encrypted", "datasets.retention_set"])

    encryption = Control.objects.get(code="CTL-ENC-01")
    assert encryption.automated_status == "failing"
    assert encryption.requirements.filter(framework__code="hipaa", ref="164.312(a)(2)(iv)").exists()
    assert Control.objects.get(code="CTL-RET-01").automated_status == "passing"
    assert Control.objects.get(code="CTL-ENC-02").automated_status == "not_automated"
