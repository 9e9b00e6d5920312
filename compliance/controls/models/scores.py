"""Score snapshots: an assessment's score as it stood on a day, for the dashboard's 12-month trend."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from compliance.controls.models.assessments import Assessment
from compliance.controls.models.frameworks import Framework


class ScoreSnapshot(models.Model):
    """The score of one assessment on one day, with the counts behind it.

    Taken hourly by beat (the day's row is updated in place, so the last run of
    a day is what the day keeps) and after every change to an assessment's
    statuses or evidence. ``score`` is ``compliance.controls.scoring``'s figure,
    the one the list, the page and the report show; None when nothing counts.
    """

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="score_snapshots")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="score_snapshots")
    taken_on = models.DateField(verbose_name="day", help_text="The day (organisation time zone) the score stood.")
    taken_at = models.DateTimeField(default=timezone.now, verbose_name="taken")
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True, help_text="Percent; empty when nothing counts.")
    compliant = models.PositiveIntegerField(default=0)
    partial = models.PositiveIntegerField(default=0, verbose_name="partially compliant")
    non_compliant = models.PositiveIntegerField(default=0, verbose_name="non-compliant")
    evidence_expired = models.PositiveIntegerField(default=0, verbose_name="evidence expired")
    not_applicable = models.PositiveIntegerField(default=0, verbose_name="not applicable")
    total = models.PositiveIntegerField(default=0, help_text="Requirement rows of the assessment.")

    class Meta:
        ordering = ["-taken_on", "assessment"]
        verbose_name = "score snapshot"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "taken_on"], name="controls_score_snapshot_one_per_day"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100), name="controls_score_snapshot_percent"
            ),
        ]
        indexes = [models.Index(fields=["framework", "taken_on"], name="controls_snapshot_fw_day_idx")]

    def __str__(self) -> str:
        return f"{self.assessment_id} on {self.taken_on}: {self.score}"
