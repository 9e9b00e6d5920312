"""The manager dashboard as its page shows it: stored figures, live scores and consent counts, and their charts.

A constant number of queries whatever the data size: the stored summary (one
row, refreshed by beat), the scores (``compliance.controls.dashboard_selectors``,
eight queries) and the consent figures (maintained counters, five queries).
Every figure carries the URL of the filtered list behind it; a panel shows only
when the reader may open that list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from compliance import charts
from compliance.controls import dashboard_selectors as control_selectors
from compliance.reports.dashboard_figures import FIGURES_VERSION
from compliance.reports.dashboard_models import DashboardSummary
from consent import selectors as consent_selectors
from consent.jurisdictions import Regime

VIEW_DASHBOARD = "reports.view_dashboardsummary"
REFRESH_SCHEDULE = "reports-refresh-dashboard"
REGULATION_LABELS = dict(Regime.choices)
KIND_LABELS = {"erasure": "Erasure", "access": "Access"}
PURPOSES_SHOWN = 12


def url(name: str, *args, **query) -> str:
    """Return the URL of ``name`` with ``query`` as its filter parameters ("" when the page does not exist)."""
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    query = {key: value for key, value in query.items() if value not in ("", None)}
    return f"{path}?{urlencode(query)}" if query else path


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


@dataclass(frozen=True)
class Figure:
    """One number on the dashboard, what it is, and the list behind it."""

    label: str
    value: str
    url: str = ""
    tone: str = ""


@dataclass
class Panel:
    """A titled group of figures and charts."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    charts: list[charts.Chart] = field(default_factory=list)
    note: str = ""


@dataclass
class Dashboard:
    """Everything the dashboard page renders."""

    computed_at: datetime | None
    refresh_minutes: int
    stale: bool
    scores: list[control_selectors.FrameworkScore]
    panels: list[Panel]
    rights_rows: list[dict]
    recent_events: list[dict]

    @property
    def has_summary(self) -> bool:
        return self.computed_at is not None


def refresh_minutes() -> int:
    """Return how often beat refreshes the summary, in minutes (from the beat schedule)."""
    schedule = settings.CELERY_BEAT_SCHEDULE.get(REFRESH_SCHEDULE, {}).get("schedule", 600.0)
    seconds = schedule.total_seconds() if isinstance(schedule, timedelta) else float(schedule)
    return max(1, round(seconds / 60))


def _score_panel(scores: list[control_selectors.FrameworkScore]) -> Panel:
    panel = Panel("scores", "Compliance score per framework")
    data = []
    for item in scores:
        link = url("controls:assessment_detail", item.assessment.pk) if item.assessment else ""
        if item.percent is not None:
            data.append(charts.Datum(item.framework.code.upper(), item.percent, url=link, tone=_score_tone(item.percent), display=percent_text(item.percent)))
    panel.charts.append(
        charts.bar_chart(
            chart_id="chart-scores",
            title="Compliance score per framework",
            description="The score of each framework's current organisation-wide assessment, in percent: "
            + "; ".join(f"{datum.label} {datum.display}" for datum in data),
            data=data,
            unit="%",
            max_value=100,
            label_header="Framework",
            value_header="Score",
            empty_message="No organisation-wide assessment yet.",
        )
    )
    for item in scores:
        if item.assessment is None:
            continue
        link = url("controls:assessment_detail", item.assessment.pk)
        labels = [start.strftime("%b %Y") for start in [month.month for month in item.trend]]
        values = [month.score for month in item.trend]
        known = [value for value in values if value is not None]
        summary = f"from {known[0]:g}% to {known[-1]:g}%" if len(known) > 1 else "not enough history yet"
        panel.charts.append(
            charts.line_chart(
                chart_id=f"chart-trend-{item.framework.code}",
                title=f"{item.framework.code.upper()} score, last 12 months",
                description=f"Month-end score snapshots of {item.assessment.title}: {summary}.",
                labels=labels,
                series=[charts.Series(item.framework.code.upper(), values, urls=[link if value is not None else "" for value in values])],
                unit="%",
                max_value=100,
            )
        )
    return panel


def _score_tone(value: float) -> str:
    return "ok" if value >= 80 else "warn" if value >= 50 else "bad"


def _controls_panel(figures: dict, user) -> Panel:
    panel = Panel("controls", "Controls and evidence")
    if user.has_perm("controls.view_control"):
        panel.figures.append(
            Figure(
                "Controls failing automated checks",
                str(figures["failing"]),
                url("controls:control_list", automated_status="failing"),
                "bad" if figures["failing"] else "ok",
            )
        )
        panel.note = ", ".join(code for code, _ in figures["failing_controls"])
    if user.has_perm("controls.view_evidence"):
        panel.figures.append(
            Figure(
                "Evidence expiring within 30 days",
                str(figures["evidence_expiring"]),
                url("controls:evidence_list", expiry="expiring"),
                "warn" if figures["evidence_expiring"] else "ok",
            )
        )
        panel.figures.append(
            Figure("Evidence expired", str(figures["evidence_expired"]), url("controls:evidence_list", expiry="expired"), "bad" if figures["evidence_expired"] else "ok")
        )
    return panel


def _rights_rows(rights: list[dict], user) -> list[dict]:
    rows = []
    for figure in rights:
        kind = figure["kind"]
        list_name = "erasure:request_list" if kind == "erasure" else "erasure:access_list"
        permission = "erasure.view_erasurerequest" if kind == "erasure" else "erasure.view_accessrequest"
        if not user.has_perm(permission):
            continue
        regulation = figure["regulation"]
        done = "completed" if kind == "erasure" else "ready"
        rows.append(
            {
                "kind": KIND_LABELS[kind],
                "regulation": REGULATION_LABELS.get(regulation, regulation),
                "cells": [
                    Figure("Open", str(figure["open"]), url(list_name, status="open", regulation=regulation)),
                    Figure(
                        "Due within 7 days",
                        str(figure["due_soon"]),
                        url(list_name, regulation=regulation, due="soon"),
                        "warn" if figure["due_soon"] else "",
                    ),
                    Figure(
                        "Overdue",
                        str(figure["overdue"]),
                        url(list_name, regulation=regulation, due="overdue"),
                        "bad" if figure["overdue"] else "",
                    ),
                    Figure(
                        "Median days to complete",
                        "—" if figure["median_days"] is None else f"{figure['median_days']:g}",
                        url(list_name, status=done, regulation=regulation),
                    ),
                    Figure(
                        "On time (90 days)",
                        percent_text(figure["on_time_share"]) + (f" of {figure['completed']}" if figure["completed"] else ""),
                        url(list_name, status=done, regulation=regulation),
                    ),
                ],
            }
        )
    return rows


def _rights_chart(rights: list[dict], user) -> charts.Chart | None:
    kinds = [kind for kind, permission in (("erasure", "erasure.view_erasurerequest"), ("access", "erasure.view_accessrequest")) if user.has_perm(permission)]
    if not kinds:
        return None
    regulations = list(Regime.values)
    by_key = {(figure["kind"], figure["regulation"]): figure for figure in rights}
    series = []
    for kind in kinds:
        list_name = "erasure:request_list" if kind == "erasure" else "erasure:access_list"
        series.append(
            charts.Series(
                KIND_LABELS[kind],
                [by_key.get((kind, regulation), {}).get("open", 0) for regulation in regulations],
                urls=[url(list_name, status="open", regulation=regulation) for regulation in regulations],
            )
        )
    total = sum(sum(one.values) for one in series)
    return charts.stacked_bar_chart(
        chart_id="chart-rights-open",
        title="Open rights requests per regulation",
        description=f"{total} open requests, erasure and access stacked, per regulation.",
        labels=[REGULATION_LABELS[regulation] for regulation in regulations],
        series=series,
        label_header="Regulation",
        empty_message="No open rights requests.",
    )


def _consent_panel(user, now: datetime) -> Panel | None:
    if not user.has_perm("consent.view_purpose"):
        return None
    panel = Panel("consent", "Consent", note="Live, from the maintained consent counts.")
    everything = consent_selectors.purposes_with_coverage(user=user, now=now)
    coverage = sorted(everything, key=lambda item: (-item.granted, item.purpose.name))[:PURPOSES_SHOWN]
    if len(everything) > len(coverage):
        panel.note += f" The {len(coverage)} purposes with the most active consents of {len(everything)}; all are on the purposes page."
    panel.charts.append(
        charts.horizontal_bar_chart(
            chart_id="chart-consent-active",
            title="Active consents per purpose",
            description="How many subjects consent to each purpose now: "
            + "; ".join(f"{item.purpose.name} {item.granted:,}" for item in coverage[:20]),
            data=[
                charts.Datum(item.purpose.name, item.granted, url=url("consent:purpose_detail", item.purpose.code))
                for item in coverage
            ],
            label_header="Purpose",
            value_header="Active consents",
            empty_message="No purposes yet.",
        )
    )
    weeks = consent_selectors.consent_events_per_week(user=user, now=now)
    panel.charts.append(
        charts.bar_chart(
            chart_id="chart-consent-withdrawals",
            title="Withdrawals per week",
            description=f"Consent withdrawals in each of the last {len(weeks)} weeks (Monday to Sunday, UTC): "
            f"{sum(week.events for week in weeks):,} in all.",
            data=[
                charts.Datum(week.week.strftime("%d %b"), week.events, url=url("consent:purpose_list"), tone="warn")
                for week in weeks
            ],
            label_header="Week of",
            value_header="Withdrawals",
        )
    )
    return panel


def _register_panels(figures: dict, user) -> list[Panel]:
    panels = []
    if user.has_perm("datasets.view_dataset"):
        register = figures["register"]
        panel = Panel("datasets", "Datasets", note="Archived datasets count too: their data is held until retention removes it.")
        panel.charts.append(
            charts.horizontal_bar_chart(
                chart_id="chart-datasets-sensitivity",
                title="Datasets by sensitivity",
                description=f"{register['total']} datasets: "
                + "; ".join(f"{label} {count}" for _, label, count in register["by_sensitivity"]),
                data=[
                    charts.Datum(label, count, url=url("datasets:list", sensitivity=value, status="all"), tone="bad" if value == "restricted" else "warn" if value == "confidential" else "primary")
                    for value, label, count in register["by_sensitivity"]
                ],
                label_header="Sensitivity",
                value_header="Datasets",
            )
        )
        panel.figures += [
            Figure(
                "Personal-data datasets encrypted at rest",
                percent_text(register["encrypted_share"]) + f" of {register['personal']}",
                url("datasets:list", missing="encryption", status="all"),
                "ok" if register["encrypted_share"] in (None, 100) else "warn",
            ),
            Figure("Missing an owner", str(register["missing_owner"]), url("datasets:list", missing="owner", status="all"), "bad" if register["missing_owner"] else "ok"),
            Figure("Missing a retention period", str(register["missing_retention"]), url("datasets:list", missing="retention", status="all"), "bad" if register["missing_retention"] else "ok"),
            Figure("Missing a lawful basis", str(register["missing_lawful_basis"]), url("datasets:list", missing="lawful_basis", status="all"), "bad" if register["missing_lawful_basis"] else "ok"),
        ]
        panels.append(panel)
    if user.has_perm("datasets.view_mlmodel"):
        flagged = figures["flagged_runs"]
        waiting = flagged["affected"] + flagged["possibly_affected"]
        panels.append(
            Panel(
                "models",
                "Models affected by erasure",
                figures=[
                    Figure("Training runs awaiting resolution", str(waiting), url("models:list", flagged_only="on"), "warn" if waiting else "ok"),
                    Figure("Affected", str(flagged["affected"]), url("models:list", flagged_only="on")),
                    Figure("Possibly affected", str(flagged["possibly_affected"]), url("models:list", flagged_only="on")),
                    Figure("Models concerned", str(flagged["models"]), url("models:list", flagged_only="on")),
                ],
            )
        )
    return panels


def _training_panel(figures: dict, user) -> Panel | None:
    training = figures.get("training")
    if training is None or not user.has_perm("staff_training.view_assignment"):
        return None
    link = url("staff_training:compliance")
    share = training["current_share"]  # a fraction, as TRAINING_CURRENT_THRESHOLD is
    return Panel(
        "training",
        "Staff training",
        figures=[
            Figure(
                "Employees current on their training",
                percent_text(None if share is None else round(share * 100, 1)) + f" of {training['in_scope_employees']}",
                link,
                "ok" if share is not None and share >= settings.TRAINING_CURRENT_THRESHOLD else "warn",
            ),
            Figure("Overdue assignments", str(training["overdue_assignments"]), f"{link}#overdue-heading" if link else "", "bad" if training["overdue_assignments"] else "ok"),
        ],
    )


def _audit_panel(figures: dict, user) -> tuple[Panel | None, list[dict]]:
    from compliance.audit.dashboard_selectors import CATEGORY_LABELS

    if not user.has_perm("audit.view_auditevent"):
        return None, []
    high_risk = figures["high_risk"]
    panel = Panel("audit", f"High-risk events, last {high_risk['window_days']} days")
    data = []
    for category, actions in high_risk["counts"].items():
        total = sum(actions.values())
        # One action: its own filter; several: their common prefix, when they share one, else the whole log.
        prefix = next(iter(actions)) if len(actions) == 1 else ""
        data.append(charts.Datum(CATEGORY_LABELS[category], total, url=url("audit:event_list", action=prefix), tone="bad" if category in {"reveals", "lockouts"} else "warn"))
        for action, count in sorted(actions.items()):
            panel.figures.append(Figure(action, str(count), url("audit:event_list", action=action)))
    panel.charts.append(
        charts.bar_chart(
            chart_id="chart-high-risk",
            title=f"High-risk events, last {high_risk['window_days']} days",
            description="Reveals of personal data, exports and downloads, refusals and lockouts: "
            + "; ".join(f"{datum.label} {datum.value:g}" for datum in data),
            data=data,
            label_header="Kind",
            value_header="Events",
        )
    )
    recent = [
        {**event, "occurred_at": datetime.fromisoformat(event["occurred_at"]), "url": url("audit:event_detail", event["sequence"])}
        for event in high_risk["recent"]
    ]
    return panel, recent


def dashboard_for_user(*, user, now: datetime | None = None) -> Dashboard:
    """Return the dashboard for ``user`` (who holds ``reports.view_dashboardsummary``), in a constant number of queries."""
    now = now or timezone.now()
    summary = DashboardSummary.objects.filter(key=DashboardSummary.MANAGER).first()
    figures = summary.figures if summary and summary.figures.get("version") == FIGURES_VERSION else None
    minutes = refresh_minutes()
    scores = control_selectors.framework_scores(user=user, today=timezone.localdate(now))
    panels: list[Panel] = []
    if scores:
        panels.append(_score_panel(scores))
    rights_rows: list[dict] = []
    recent: list[dict] = []
    if figures:
        controls = _controls_panel(figures["controls"], user)
        if controls.figures:
            panels.append(controls)
        rights_rows = _rights_rows(figures["rights"], user)
        chart = _rights_chart(figures["rights"], user)
        if chart is not None:
            panels.append(Panel("rights", "Rights requests", charts=[chart]))
    consent = _consent_panel(user, now)
    if consent:
        panels.append(consent)
    if figures:
        panels += _register_panels(figures, user)
        training = _training_panel(figures, user)
        if training:
            panels.append(training)
        audit, recent = _audit_panel(figures, user)
        if audit:
            panels.append(audit)
    return Dashboard(
        computed_at=summary.computed_at if figures else None,
        refresh_minutes=minutes,
        stale=bool(figures) and now - summary.computed_at > timedelta(minutes=3 * minutes),
        scores=scores,
        panels=panels,
        rights_rows=rights_rows,
        recent_events=recent,
    )
