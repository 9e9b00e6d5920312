"""Writes of the automated checks: running them, storing every result, and turning mapped controls red or green.

A control's automated status follows the latest result of each check it names:
failing when any of them failed, no data when none failed but one had no data
(or errored, or never ran), passing when every one passed.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event
from compliance.controls import queue
from compliance.controls.checks.registry import (
    CHECKS_ACTOR,
    MAX_FAILING_LISTED,
    CheckOutcome,
    RegisteredCheck,
    get_check,
    registered_checks,
)
from compliance.controls.models import AutomatedStatus, Control
from compliance.controls.models.checks import CheckResult, CheckStatus

logger = logging.getLogger("custos.controls")

RUN_PERMISSION = "controls.run_checks"


def _selected(keys: Iterable[str] | None) -> list[RegisteredCheck]:
    """Return the checks named by ``keys`` (all of them for None); ValidationError naming any unknown key."""
    if keys is None:
        return registered_checks()
    wanted = list(dict.fromkeys(keys))
    unknown = [key for key in wanted if get_check(key) is None]
    if unknown:
        known = ", ".join(registered.key for registered in registered_checks())
        raise ValidationError({"keys": [f"Unknown check: {', '.join(unknown)}. Known checks: {known}."]})
    if not wanted:
        raise ValidationError({"keys": ["Name at least one check to run."]})
    return [get_check(key) for key in wanted]


def run_label(actor) -> str:
    """Return who a run is recorded as: a username, or a system process's name (``beat``)."""
    if isinstance(actor, SystemActor):
        return actor.name
    if actor is None:
        return CHECKS_ACTOR.name
    return actor.get_username()[:150]


def _evaluate(registered: RegisteredCheck, now: datetime) -> CheckOutcome:
    try:
        return registered.evaluate(now=now)
    except Exception as error:  # noqa: BLE001 - one broken check must not stop the others or the run's record
        logger.exception("Automated check %s raised", registered.key)
        return CheckOutcome(
            status=CheckStatus.ERROR,
            summary=f"The check could not run: {type(error).__name__}: {str(error)[:300]}",
        )


def control_status(statuses: Iterable[str | None]) -> str:
    """Return a control's automated status from the latest status of each of its checks (None: never ran)."""
    statuses = list(statuses)
    if not statuses:
        return AutomatedStatus.NOT_AUTOMATED
    if CheckStatus.FAIL in statuses:
        return AutomatedStatus.FAILING
    if all(status == CheckStatus.PASS for status in statuses):
        return AutomatedStatus.PASSING
    return AutomatedStatus.NO_DATA


def _update_controls(*, actor, keys: set[str], now: datetime) -> list[Control]:
    """Recompute the automated status of every control naming one of ``keys``; audit each that changed."""
    from compliance.controls.check_selectors import latest_results

    controls = [control for control in Control.objects.exclude(checks=[]).order_by("code") if keys & set(control.checks)]
    if not controls:
        return []
    latest = latest_results()
    changed = []
    for control in controls:
        status = control_status(latest[key].status if key in latest else None for key in control.checks)
        if status != control.automated_status:
            record_event(
                actor=actor,
                action="controls.control_automated_status_changed",
                target=control,
                data={"from": control.automated_status, "to": status, "checks": list(control.checks)},
            )
            changed.append(control)
        control.automated_status = status
        control.automated_checked_at = now
    Control.objects.bulk_update(controls, ["automated_status", "automated_checked_at"])
    return changed


def run_checks(*, actor, keys: Iterable[str] | None = None, now: datetime | None = None) -> list[CheckResult]:
    """Evaluate the checks named by ``keys`` (every registered check for None), store each result, update controls.

    Deliberately not atomic as a whole, like the audit chain's verification: the
    checks read whole tables and walk the audit chain, and on SQLite a write
    transaction held for that long would lock out every other writer. The
    checks run first, all as of the same ``now``; their results, the mapped
    controls' automated status and the audit events are then written in one
    short transaction. A check that raises is stored as ``error`` and the others
    still run.
    """
    selected = _selected(keys)
    now = now or timezone.now()
    outcomes = [(registered, _evaluate(registered, now)) for registered in selected]
    run_by = run_label(actor)
    with transaction.atomic():
        results = CheckResult.objects.bulk_create(
            [
                CheckResult(
                    check_key=registered.key,
                    ran_at=now,
                    status=outcome.status,
                    summary=outcome.summary,
                    failing=[item.as_dict() for item in outcome.failing[:MAX_FAILING_LISTED]],
                    failing_total=outcome.failing_total,
                    run_by=run_by,
                )
                for registered, outcome in outcomes
            ]
        )
        changed = _update_controls(actor=actor, keys={registered.key for registered in selected}, now=now)
        record_event(
            actor=actor,
            action="controls.checks_run",
            data={
                "results": {registered.key: outcome.status for registered, outcome in outcomes},
                "failing_objects": {registered.key: outcome.failing_total for registered, outcome in outcomes if outcome.failing_total},
                "controls_changed": [control.code for control in changed],
            },
        )
    return results


@transaction.atomic
def request_check_run(*, actor, keys: Iterable[str] | None = None) -> list[str]:
    """Queue a run of the checks named by ``keys`` (all for None) in the worker after commit; return the keys.

    Only someone holding ``controls.run_checks`` (compliance managers) may ask.
    """
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm(RUN_PERMISSION):
        raise PermissionDenied("Running the automated checks needs the controls.run_checks permission.")
    selected = [registered.key for registered in _selected(keys)]
    record_event(actor=actor, action="controls.checks_requested", data={"keys": selected if keys is not None else "all"})
    queue.enqueue_check_run(user_id=actor.pk, keys=None if keys is None else selected)
    return selected
