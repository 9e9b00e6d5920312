"""Compute the manager dashboard's stored figures (``DashboardSummary.figures``) from every app's selectors.

Run by the beat task every few minutes, never per request: these are the
figures that would otherwise count growing tables (rights requests, the audit
log). The result is plain JSON (no personal data: counts, shares, medians,
codes, usernames of actors) so the page and the PDF report read it as stored.
"""

from dataclasses import asdict
from datetime import datetime, timedelta

from compliance.audit import dashboard_selectors as audit_figures
from compliance.controls import dashboard_selectors as control_figures
from compliance.staff_training import selectors as training_selectors
from consent.erasure import selectors as erasure_selectors
from datasets import dashboard_selectors as register_figures

# Bump when the shape changes: the page ignores a summary of another version until the next refresh.
FIGURES_VERSION = 1
HIGH_RISK_WINDOW_DAYS = 7
RECENT_EVENTS = 10


def _training(now: datetime) -> dict:
    """Staff training completion from compliance.staff_training's organisation summary."""
    summary = training_selectors.training_summary(now=now)
    return {
        "in_scope_employees": summary.in_scope_employees,
        "current_employees": summary.current_employees,
        "current_share": summary.current_share,
        "overdue_assignments": summary.overdue_assignments,
    }


def compute_figures(*, now: datetime) -> dict:
    """Return the dashboard's figures at ``now`` as JSON-ready data (a fixed number of queries)."""
    controls = control_figures.control_figures(today=now.date())
    register = register_figures.register_figures()
    flagged = register_figures.flagged_run_figures()
    rights = [
        {**asdict(figure), "on_time_share": figure.on_time_share}
        for figure in erasure_selectors.rights_request_figures(now=now, due_within_days=7, window_days=90)
    ]
    events = audit_figures.recent_high_risk_events(limit=RECENT_EVENTS)
    return {
        "version": FIGURES_VERSION,
        "controls": {
            "failing": controls.failing,
            "failing_controls": [list(pair) for pair in controls.failing_controls],
            "evidence_expiring": controls.evidence_expiring,
            "evidence_expired": controls.evidence_expired,
        },
        "rights": rights,
        "register": {**asdict(register), "encrypted_share": register.encrypted_share},
        "flagged_runs": asdict(flagged),
        "training": _training(now),
        "high_risk": {
            "window_days": HIGH_RISK_WINDOW_DAYS,
            "counts": audit_figures.high_risk_counts(since=now - timedelta(days=HIGH_RISK_WINDOW_DAYS)),
            "recent": [
                {
                    "sequence": event.sequence,
                    "occurred_at": event.occurred_at.isoformat(),
                    "actor": event.actor_label,
                    "action": event.action,
                    "category": audit_figures.CATEGORY_OF[event.action],
                    "target_type": event.target_type,
                    "target_id": event.target_id,
                }
                for event in events
            ],
        },
    }
