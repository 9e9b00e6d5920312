"""Reads of the automated checks' results for the pages and the home card.

Compliance managers, DPOs and auditors read them (``controls.view_checkresult``);
anyone else is refused. Every read here costs a fixed number of queries,
however many results have been stored.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import Http404

from compliance.controls.checks.registry import RegisteredCheck, get_check, registered_checks
from compliance.controls.models import AutomatedStatus, Control
from compliance.controls.models.checks import CheckResult, CheckStatus

VIEW_PERMISSION = "controls.view_checkresult"
NO_CHECK = "No such automated check."


def _require_view(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied("Reading the automated checks needs the controls.view_checkresult permission.")


def latest_results() -> dict[str, CheckResult]:
    """Return the latest stored result of every check that has run, by key (one query)."""
    latest_ids = CheckResult.objects.order_by().values("check_key").annotate(latest=Max("pk")).values("latest")
    return {result.check_key: result for result in CheckResult.objects.filter(pk__in=latest_ids)}


def _controls_by_check() -> dict[str, list[Control]]:
    """Return the controls naming each check key, by code (one query)."""
    mapped: dict[str, list[Control]] = {}
    for control in Control.objects.exclude(checks=[]).only("code", "title", "checks", "automated_status").order_by("code"):
        for key in control.checks:
            mapped.setdefault(key, []).append(control)
    return mapped


@dataclass(frozen=True)
class CheckRow:
    """A check on the overview: its registration, its latest result (None before its first run), its controls."""

    check: RegisteredCheck
    latest: CheckResult | None
    controls: list[Control] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.latest.status if self.latest else ""


def check_rows(*, user) -> list[CheckRow]:
    """Return every registered check with its latest result and mapped controls (two queries)."""
    _require_view(user)
    latest = latest_results()
    mapped = _controls_by_check()
    return [
        CheckRow(check=registered, latest=latest.get(registered.key), controls=mapped.get(registered.key, []))
        for registered in registered_checks()
    ]


def check_row_for_user(*, user, key: str) -> CheckRow:
    """Return the check ``key`` with its latest result and controls; Http404 for an unknown key."""
    _require_view(user)
    registered = get_check(key)
    if registered is None:
        raise Http404(NO_CHECK)
    latest = CheckResult.objects.filter(check_key=key).order_by("-ran_at", "-pk").first()
    controls = [control for control in _controls_by_check().get(key, [])]
    return CheckRow(check=registered, latest=latest, controls=controls)


def results_for_check(*, user, key: str) -> QuerySet[CheckResult]:
    """Return the check's stored results, newest first (the timeline; page it)."""
    _require_view(user)
    return CheckResult.objects.filter(check_key=key).defer("failing").order_by("-ran_at", "-pk")


@dataclass(frozen=True)
class MonitoringCounts:
    """The home card's figures: checks failing now, checks never run, controls whose automated status is failing."""

    checks: int
    failing_checks: int
    not_run: int
    failing_controls: int


def monitoring_counts(*, user) -> MonitoringCounts:
    """Return how many checks fail now and how many controls are red (two queries)."""
    _require_view(user)
    keys = {registered.key for registered in registered_checks()}
    latest = {key: result for key, result in latest_results().items() if key in keys}
    return MonitoringCounts(
        checks=len(keys),
        failing_checks=sum(1 for result in latest.values() if result.status == CheckStatus.FAIL),
        not_run=len(keys - latest.keys()),
        failing_controls=Control.objects.filter(automated_status=AutomatedStatus.FAILING).count(),
    )
