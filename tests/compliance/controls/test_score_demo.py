"""The demo score history: twelve month-end snapshots derived from the demo assessment, seeded once."""

from datetime import date

import pytest

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.controls import scoring, services
from compliance.controls.demo import DEMO_TITLE
from compliance.controls.models import ScoreSnapshot
from compliance.controls.score_demo import month_ends_before, seed_score_history
from tests.compliance.controls.conftest import make_assessment

pytestmark = pytest.mark.django_db
SEED = SystemActor("seed_demo")


def test_month_ends_before():
    assert month_ends_before(date(2026, 3, 15), months=3) == [date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28)]


def test_the_history_climbs_to_todays_score_and_is_seeded_once(framework, manager):
    assessment = make_assessment(framework, manager, title=DEMO_TITLE)
    items = list(assessment.items.order_by("pk"))
    services.bulk_update_status(actor=manager, assessment=assessment, item_ids=[item.pk for item in items[:3]], status="compliant")
    today = date(2026, 12, 8)

    assert seed_score_history(actor=SEED, today=today) == (13, 0)
    assert seed_score_history(actor=SEED, today=today) == (0, 1)

    snapshots = list(ScoreSnapshot.objects.filter(assessment=assessment).order_by("taken_on"))
    assert [snapshot.taken_on for snapshot in snapshots] == [*month_ends_before(today), today]
    scores = [float(snapshot.score) for snapshot in snapshots]
    assert scores == sorted(scores), "a programme under way: the score does not fall"
    assert scores[-1] == scoring.assessment_score(assessment=assessment, today=today).percent == 75.0
    assert scores[0] < scores[-1] / 2
    assert AuditEvent.objects.filter(action="controls.score_history_seeded").count() == 1


def test_without_the_demo_assessment_nothing_is_seeded(framework):
    assert seed_score_history(actor=SEED) == (0, 0)
    assert not ScoreSnapshot.objects.exists()
