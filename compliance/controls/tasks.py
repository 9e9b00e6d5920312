"""Celery tasks of the controls app: the automated checks and the score snapshots, hourly on beat and on demand."""

from celery import shared_task
from django.contrib.auth import get_user_model

from compliance.audit.actors import SystemActor
from compliance.controls import check_services, score_services


# The audit-chain check walks the whole log: allow it longer than the default five minutes, still well below the
# broker's visibility timeout (settings.BROKER_VISIBILITY_TIMEOUT_SECONDS) so a slow run is never delivered twice.
# At the soft limit the check under way is stored as an error and the others still run.
@shared_task(name="controls.run_checks", ignore_result=True, soft_time_limit=900, time_limit=960)
def run_checks_task(user_id: int | None = None, keys: list[str] | None = None) -> int:
    """Run the automated checks (``keys``, or all) as beat or as the user who asked; return how many results were stored.

    A run asked for by a user who has since been deactivated is dropped: it
    would be recorded in their name.
    """
    if user_id is None:
        actor = SystemActor("beat")
    else:
        actor = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if actor is None:
            return 0
    return len(check_services.run_checks(actor=actor, keys=keys))


@shared_task(name="controls.snapshot_scores", ignore_result=True)
def snapshot_scores_task(assessment_ids: list[int] | None = None) -> int:
    """Store today's score of the assessments (all when None), hourly on beat and after each assessment change."""
    return score_services.take_score_snapshots(actor=SystemActor("score snapshots"), assessment_ids=assessment_ids)
