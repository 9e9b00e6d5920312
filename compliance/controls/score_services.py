"""Writes of score snapshots: today's score of each assessment, kept one row per assessment and day."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.controls import scoring
from compliance.controls.models import Assessment, ScoreSnapshot

SNAPSHOT_FIELDS = ("score", "compliant", "partial", "non_compliant", "evidence_expired", "not_applicable", "total", "taken_at")


@transaction.atomic
def take_score_snapshots(*, actor, assessment_ids: list[int] | None = None, on: date | None = None) -> int:
    """Store the day's score of the assessments (all when ``assessment_ids`` is None); return how many were stored.

    Idempotent: a second run the same day updates that day's row (named
    constraint ``controls_score_snapshot_one_per_day``) instead of adding one,
    so the day keeps the score as it last stood. Records one audit event.
    """
    on = on or timezone.localdate()
    assessments = Assessment.objects.all() if assessment_ids is None else Assessment.objects.filter(pk__in=assessment_ids)
    framework_of = dict(assessments.values_list("pk", "framework_id"))
    if not framework_of:
        return 0
    cards = scoring.assessment_scores(assessment_ids=list(framework_of), today=on)
    now = timezone.now()
    snapshots = [
        ScoreSnapshot(
            framework_id=framework_of[assessment_id],
            assessment_id=assessment_id,
            taken_on=on,
            taken_at=now,
            score=card.percent,
            compliant=card.overall.compliant,
            partial=card.overall.partial,
            non_compliant=card.overall.non_compliant,
            evidence_expired=card.overall.evidence_expired,
            not_applicable=card.overall.not_applicable,
            total=card.overall.total,
        )
        for assessment_id, card in cards.items()
    ]
    ScoreSnapshot.objects.bulk_create(
        snapshots,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["assessment", "taken_on"],
        update_fields=list(SNAPSHOT_FIELDS),
    )
    record_event(
        actor=actor,
        action="controls.scores_snapshotted",
        data={"on": on.isoformat(), "count": len(snapshots), "assessment_ids": sorted(framework_of)[:100]},
    )
    return len(snapshots)
