"""The controls selectors: the tree search, the assessment page's flags, shown statuses and scores."""

from datetime import date, timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.controls import selectors, services
from compliance.controls.models import Control
from tests.compliance.controls.conftest import make_assessment, requirement, upload

pytestmark = pytest.mark.django_db


def rows_by_ref(page) -> dict:
    return {row.item.requirement.ref: row for section in page.sections for row in section.rows}


def test_a_search_shows_the_matches_and_their_ancestors(framework):
    tree = selectors.framework_tree(framework=framework, query="notice")

    assert [(node.requirement.ref, node.matched) for node in tree.nodes] == [
        ("Chapter I", False),
        ("Art. 2", False),
        ("Art. 2(1)", True),
    ]
    assert tree.match_count == 1


def test_a_search_matches_every_word_in_ref_title_or_guidance(framework):
    tree = selectors.framework_tree(framework=framework, query="month erase")

    assert [node.requirement.ref for node in tree.nodes if node.matched] == ["Art. 3"]


def test_the_score_formula():
    assert selectors.score(compliant=2, partial=1, assessable=6, not_applicable=1) == 50.0
    assert selectors.score(compliant=0, partial=0, assessable=2, not_applicable=2) is None


def test_the_page_flags_compliant_without_evidence_and_na_without_justification(framework, manager):
    assessment = make_assessment(framework, manager)
    items = {item.requirement.ref: item for item in assessment.items.select_related("requirement")}
    services.update_requirement_assessment(actor=manager, item=items["Art. 2(1)"], status="compliant")
    # A row from before the rule (or the database directly) has no justification.
    assessment.items.filter(pk=items["Art. 3"].pk).update(status="not_applicable")

    rows = rows_by_ref(selectors.assessment_page(assessment=assessment))

    assert [key for key, _ in rows["Art. 2(1)"].flags] == ["compliant_without_evidence"]
    assert [key for key, _ in rows["Art. 3"].flags] == ["na_without_justification"]
    assert rows["Art. 1(1)"].flags == []


def test_evidence_through_a_mapped_control_counts_and_expired_evidence_shows(framework, manager):
    assessment = make_assessment(framework, manager)
    items = {item.requirement.ref: item for item in assessment.items.select_related("requirement")}
    services.bulk_update_status(actor=manager, assessment=assessment, item_ids=[items["Art. 1(1)"].pk, items["Art. 3"].pk], status="compliant")
    yesterday = timezone.localdate() - timedelta(days=1)
    upload(manager, controls=[Control.objects.get(code="CTL-ENC-01")])  # maps demo:Art. 1(1)
    upload(manager, requirements=[requirement("Art. 3")], effective_date=date(2020, 1, 1), expires_on=yesterday)

    page = selectors.assessment_page(assessment=assessment)
    rows = rows_by_ref(page)

    assert rows["Art. 1(1)"].flags == [] and rows["Art. 1(1)"].shown_status == "compliant"
    assert rows["Art. 3"].shown_status == "evidence_expired" and rows["Art. 3"].shown_status_label == "Evidence expired"
    assert [key for key, _ in rows["Art. 3"].flags] == ["evidence_expired"]
    # Expired evidence does not count: 1 compliant of 4.
    assert page.overall.percent == 25.0


def test_scores_per_section_exclude_not_applicable(framework, manager):
    assessment = make_assessment(framework, manager)
    items = {item.requirement.ref: item for item in assessment.items.select_related("requirement")}
    services.update_requirement_assessment(actor=manager, item=items["Art. 1(1)"], status="compliant")
    services.update_requirement_assessment(actor=manager, item=items["Art. 1(2)"], status="partially_compliant")
    services.update_requirement_assessment(actor=manager, item=items["Art. 2(1)"], status="not_applicable", justification="No collection")

    page = selectors.assessment_page(assessment=assessment)

    assert [(section.requirement.ref, section.score.percent) for section in page.sections] == [("Chapter I", 75.0), ("Chapter II", 0.0)]
    assert page.overall.percent == 50.0


def test_a_failing_mapped_control_flags_the_row(framework, manager):
    Control.objects.filter(code="CTL-ERA-01").update(automated_status="failing")
    assessment = make_assessment(framework, manager)

    rows = rows_by_ref(selectors.assessment_page(assessment=assessment))

    assert rows["Art. 3"].automated_failing and ("automated_failing", "A mapped control's automated check fails") in rows["Art. 3"].flags
    assert not rows["Art. 1(1)"].automated_failing


def test_filters_narrow_the_rows_but_not_the_scores(framework, manager):
    assessment = make_assessment(framework, manager)
    item = assessment.items.get(requirement__ref="Art. 3")
    services.update_requirement_assessment(actor=manager, item=item, status="compliant", owner=manager)

    page = selectors.assessment_page(assessment=assessment, filters=selectors.ItemFilters(owner=manager.pk))

    assert list(rows_by_ref(page)) == ["Art. 3"]
    assert page.shown_count == 1 and page.row_count == 4 and page.overall.total == 4


def test_readers_without_permission_get_404(framework, make_user):
    steward = make_user(Role.DATA_STEWARD)

    with pytest.raises(Http404):
        selectors.framework_for_user(user=steward, code="demo")
    assert not selectors.controls_for_user(user=steward).exists()
