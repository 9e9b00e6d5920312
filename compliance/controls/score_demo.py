"""Demo score history for ``manage.py seed_demo``: twelve month-end snapshots of the demo assessment.

A fresh ``make run`` would otherwise show a trend of one point. The history is
derived from the demo GDPR assessment as it stands today: month by month the
share of requirements counted compliant climbs from about a third of today's
figure to today's, the way a programme under way does. Every row is computed
from today's counts (never invented numbers), and the audit log says it was
seeded. Idempotent: nothing happens once the assessment has any snapshot
before today.
"""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.controls import scoring
from compliance.controls.demo import DEMO_TITLE
from compliance.controls.models import Assessment, ScoreSnapshot
from compliance.controls.score_services import take_score_snapshots

MONTHS = 12


def month_ends_before(today: date, months: int = MONTHS) -> list[date]:
    """Return the last days of the ``months`` months before ``today``'s, oldest first."""
    ends = []
    end = today.replace(day=1) - timedelta(days=1)
    for _ in range(months):
        ends.append(end)
        end = end.replace(day=1) - timedelta(days=1)
    return list(reversed(ends))


@transaction.atomic
def seed_score_history(*, actor, today: date | None = None) -> tuple[int, int]:
    """Store today's snapshot and twelve month-end snapshots of the demo assessment where missing; return (created, kept)."""
    today = today or timezone.localdate()
    assessment = Assessment.objects.filter(title=DEMO_TITLE).first()
    if assessment is None:
        return 0, 0
    if ScoreSnapshot.objects.filter(assessment=assessment, taken_on__lt=today).exists():
        return 0, 1
    take_score_snapshots(actor=actor, assessment_ids=[assessment.pk], on=today)
    now = scoring.assessment_score(assessment=assessment, today=today).overall
    rows = []
    for index, day in enumerate(month_ends_before(today)):
        # From a third of today's progress a year ago to nearly all of it last month.
        progress = (index + 4) / (MONTHS + 3)
        compliant = round(now.compliant * progress)
        partial = round(now.partial * progress)
        not_applicable = round(now.not_applicable * min(1.0, progress + 0.25))
        non_compliant = round(now.non_compliant * min(1.0, progress + 0.25))
        rows.append(
            ScoreSnapshot(
                framework_id=assessment.framework_id,
                assessment=assessment,
                taken_on=day,
                taken_at=timezone.make_aware(datetime.combine(day, time(23, 59))),
                score=scoring.score(compliant, partial, now.total, not_applicable),
                compliant=compliant,
                partial=partial,
                non_compliant=non_compliant,
                not_applicable=not_applicable,
                total=now.total,
            )
        )
    ScoreSnapshot.objects.bulk_create(rows)
    record_event(
        actor=actor,
        action="controls.score_history_seeded",
        target=assessment,
        data={"months": len(rows), "from": rows[0].taken_on.isoformat(), "to": rows[-1].taken_on.isoformat(), "demo": True},
    )
    return len(rows) + 1, 0
