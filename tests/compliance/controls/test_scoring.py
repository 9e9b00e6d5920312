"""One score (compliance.controls.scoring): the list, the page and the snapshots agree; snapshots are idempotent."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.controls import queue, scoring, selectors, services
from compliance.controls.models import ScoreSnapshot
from compliance.controls.score_services import take_score_snapshots
from compliance.controls.tasks import snapshot_scores_task
from tests.compliance.controls.conftest import make_assessment, requirement, upload

pytestmark = pytest.mark.django_db


def expired_evidence_assessment(framework, manager):
    """Two compliant rows of four, one of them backed only by expired evidence: 1 of 4 counts (25%), raw statuses say 50%."""
    assessment = make_assessment(framework, manager)
    items = {item.requirement.ref: item for item in assessment.items.select_related("requirement")}
    services.bulk_update_status(
        actor=manager, assessment=assessment, item_ids=[items["Art. 1(1)"].pk, items["Art. 3"].pk], status="compliant"
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    upload(manager, requirements=[requirement("Art. 3")], effective_date=date(2020, 1, 1), expires_on=yesterday)
    return assessment


def test_the_score_applies_the_expired_evidence_rule(framework, manager):
    assessment = expired_evidence_assessment(framework, manager)

    card = scoring.assessment_score(assessment=assessment)

    assert (card.overall.compliant, card.overall.evidence_expired, card.overall.total) == (1, 1, 4)
    assert card.percent == 25.0
    assert sum(section.total for section in card.sections.values()) == 4


def test_list_page_and_score_function_show_the_same_figure(framework, client_for):
    client, manager = client_for(Role.COMPLIANCE_MANAGER)
    assessment = expired_evidence_assessment(framework, manager)
    expected = scoring.assessment_score(assessment=assessment).percent

    listing = client.get(reverse("controls:assessment_list")).content.decode()
    page = client.get(reverse("controls:assessment_detail", args=[assessment.pk])).content.decode()
    detail = selectors.assessment_page(assessment=assessment)

    assert expected == 25.0
    assert re.search(r"<td>25(\.0)?%</td>", listing), "the list shows the scoring figure"
    assert "50%" not in listing and "50.0%" not in listing  # the raw-status figure the list used to show
    assert "<strong>25" in page
    assert detail.overall.percent == expected
    # Per section too: the page's sections and the score card's agree.
    card = scoring.assessment_score(assessment=assessment)
    assert {section.requirement.pk: section.score.percent for section in detail.sections} == {
        pk: score.percent for pk, score in card.sections.items()
    }


def test_scores_of_many_assessments_take_a_constant_number_of_queries(framework, manager, django_assert_num_queries):
    few = [make_assessment(framework, manager, title=f"A{n}").pk for n in range(2)]
    many = few + [make_assessment(framework, manager, title=f"B{n}").pk for n in range(20)]
    with django_assert_num_queries(5):
        scoring.assessment_scores(assessment_ids=few)
    with django_assert_num_queries(5):
        cards = scoring.assessment_scores(assessment_ids=many)
    assert len(cards) == 22


def test_a_snapshot_is_one_row_per_assessment_and_day_and_a_rerun_updates_it(framework, manager):
    assessment = expired_evidence_assessment(framework, manager)
    actor = SystemActor("tests")
    today = timezone.localdate()

    assert take_score_snapshots(actor=actor) == 1
    items = list(assessment.items.select_related("requirement"))
    services.update_requirement_assessment(
        actor=manager, item=next(item for item in items if item.requirement.ref == "Art. 1(2)"), status="compliant"
    )
    assert take_score_snapshots(actor=actor, assessment_ids=[assessment.pk]) == 1

    snapshot = ScoreSnapshot.objects.get()
    assert (snapshot.assessment_id, snapshot.framework_id, snapshot.taken_on) == (assessment.pk, framework.pk, today)
    assert float(snapshot.score) == 50.0  # the day keeps the latest figure
    assert (snapshot.compliant, snapshot.evidence_expired, snapshot.total) == (2, 1, 4)
    event = AuditEvent.objects.filter(action="controls.scores_snapshotted").latest("sequence")
    assert event.data == {"on": today.isoformat(), "count": 1, "assessment_ids": [assessment.pk]}


def test_the_task_is_idempotent_and_ignores_deleted_assessments(framework, manager):
    assessment = make_assessment(framework, manager)
    assert snapshot_scores_task(assessment_ids=[assessment.pk]) == 1
    assert snapshot_scores_task(assessment_ids=[assessment.pk]) == 1
    assert snapshot_scores_task(assessment_ids=[assessment.pk + 1000]) == 0
    assert ScoreSnapshot.objects.count() == 1


def test_status_changes_enqueue_a_snapshot_by_name_after_commit(framework, manager, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(queue.current_app, "send_task", lambda name, args=None, kwargs=None, **options: sent.append((name, kwargs)))
    assessment = make_assessment(framework, manager)
    item = assessment.items.first()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_requirement_assessment(actor=manager, item=item, status="compliant")
    assert sent == [("controls.snapshot_scores", {"assessment_ids": [assessment.pk]})]
    with django_capture_on_commit_callbacks(execute=True):
        services.update_requirement_assessment(actor=manager, item=item, status="compliant", notes="no status change")
    assert len(sent) == 1  # only a status change moves the score
