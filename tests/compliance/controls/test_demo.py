"""The demo assessment seed_demo loads: a GDPR assessment under way, with current and expired evidence."""

import io

import pytest
from django.core.management import call_command

from compliance.controls.demo import DEMO_STATUSES, DEMO_TITLE
from compliance.controls.checks.registry import registered_checks
from compliance.controls.models import Assessment, AssessmentStatus, CheckResult, Evidence
from compliance.controls.selectors import assessment_page

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _rows(assessment) -> dict:
    return {row.item.requirement.ref: row for section in assessment_page(assessment=assessment).sections for row in section.rows}


def test_the_demo_assessment_shows_statuses_scores_and_both_evidence_flags():
    output = seed()

    assert "assessments: created 1, kept 0." in output
    assessment = Assessment.objects.get(title=DEMO_TITLE)
    assert (assessment.framework.code, assessment.owner.username) == ("gdpr", "manager")
    rows = _rows(assessment)
    assert {ref: rows[ref].item.status for ref in DEMO_STATUSES} == {ref: spec[0] for ref, spec in DEMO_STATUSES.items()}
    # Art. 30(1) is backed by the current registry export; Art. 33(1) only by a plan whose approval lapsed.
    evidence_flags = {"compliant_without_evidence", "evidence_expired"}
    assert not evidence_flags & {key for key, _ in rows["Art. 30(1)"].flags}
    assert rows["Art. 33(1)"].shown_status_label == "Evidence expired"
    assert ("compliant_without_evidence", "Compliant without evidence") in rows["Art. 5(1)(a)"].flags
    assert rows["Art. 8(1)"].item.justification.startswith("No information society service")
    page = assessment_page(assessment=assessment)
    assert page.overall.compliant == sum(1 for spec in DEMO_STATUSES.values() if spec[0] == AssessmentStatus.COMPLIANT) - 1
    assert Evidence.objects.count() == 2
    # The first run of the automated checks is seeded too, so the checks pages are not empty.
    assert "checks: created 1, kept 0." in output
    assert CheckResult.objects.count() == len(registered_checks()) == 15


def test_a_second_seed_adds_no_assessment_and_no_evidence():
    seed()
    again = seed()

    assert "assessments: nothing to do (1 already there)." in again
    assert "checks: nothing to do (1 already there)." in again
    assert Assessment.objects.count() == 1 and Evidence.objects.count() == 2
