"""The manager dashboard's stored summary: figures a beat task computes, so the page never counts large tables."""

from django.db import models
from django.utils import timezone


class DashboardSummary(models.Model):
    """The dashboard's figures as of ``computed_at``, refreshed by beat (``reports.refresh_dashboard``).

    One row per ``key`` (today only ``manager``). The figures are aggregates
    without personal data (counts, shares, medians, framework codes), stored as
    JSON in the shape ``compliance.reports.dashboard_figures`` builds; the page
    shows their age beside them. Its permissions say who reads the dashboard
    and who opens the auditor's workspace.
    """

    MANAGER = "manager"

    key = models.CharField(max_length=32, unique=True, default=MANAGER)
    computed_at = models.DateTimeField(default=timezone.now, verbose_name="computed")
    duration_ms = models.PositiveIntegerField(default=0, verbose_name="duration (ms)", help_text="How long computing took.")
    figures = models.JSONField(default=dict)

    class Meta:
        verbose_name = "dashboard summary"
        verbose_name_plural = "dashboard summaries"
        permissions = [("view_workspace", "Can open the auditor's workspace")]

    def __str__(self) -> str:
        return f"{self.key} as of {self.computed_at:%Y-%m-%d %H:%M}"
