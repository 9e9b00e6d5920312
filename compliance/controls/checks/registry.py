"""The registry of automated checks: each check is a function decorated with ``@check``.

A check reads the current state of the organisation only through the other
apps' selectors (never their models or services: each query lives with the
app that owns the data) and judges it, returning a ``CheckOutcome``: pass,
fail (with the failing objects, each linked to its page) or no data (nothing
to judge yet).
It never writes the domain it reads; the service ``run_checks`` stores its
outcome and updates the controls mapped to it. Keys are a contract: controls
name them (``Control.checks``, ``defaults/controls.yaml``), and stored results
are kept under them, so a key is never renamed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.controls.models.checks import CheckStatus

# The actor the checks' own writes (their results, the key records) are audited as.
CHECKS_ACTOR = SystemActor("checks")

# A failing list longer than this is cut when stored; the summary still counts every failing object.
MAX_FAILING_LISTED = 200


@dataclass(frozen=True)
class FailingObject:
    """One object that makes a check fail: what people call it, and the page that shows it ('' when none)."""

    label: str
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"label": self.label, "url": self.url}


@dataclass(frozen=True)
class CheckOutcome:
    """What one evaluation of a check found: a status, one sentence with figures, and the failing objects.

    ``failing`` may be cut at MAX_FAILING_LISTED; ``failing_total`` counts every failing object.
    """

    status: str
    summary: str
    failing: list[FailingObject] = field(default_factory=list)
    failing_total: int = 0


def passed(summary: str) -> CheckOutcome:
    return CheckOutcome(status=CheckStatus.PASS, summary=summary)


def failed(summary: str, failing: Iterable[FailingObject], *, total: int | None = None) -> CheckOutcome:
    listed = list(failing)[:MAX_FAILING_LISTED]
    return CheckOutcome(status=CheckStatus.FAIL, summary=summary, failing=listed, failing_total=len(listed) if total is None else total)


def no_data(summary: str) -> CheckOutcome:
    return CheckOutcome(status=CheckStatus.NO_DATA, summary=summary)


def judge(
    failing: QuerySet,
    *,
    summary: Callable[[int], str],
    entry: Callable[[Any], FailingObject],
    count: int | None = None,
) -> CheckOutcome:
    """Pass when the ordered queryset ``failing`` is empty; otherwise fail, listing its first rows through ``entry``.

    ``summary(count)`` writes the sentence for either outcome; ``count`` saves
    the count query when the caller has it from an aggregate already.
    """
    count = failing.count() if count is None else count
    if count == 0:
        return passed(summary(0))
    return failed(summary(count), [entry(row) for row in failing[:MAX_FAILING_LISTED]], total=count)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """Return ``"1 dataset"`` / ``"3 datasets"``: summaries are read by people."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def on(moment: datetime, *, with_time: bool = False) -> str:
    """Return ``moment`` as a date (and time) in the organisation's time zone, as summaries print it."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if with_time else f"{timezone.localtime(moment):%Y-%m-%d}"


def is_are(count: int) -> str:
    return "is" if count == 1 else "are"


def has_have(count: int) -> str:
    return "has" if count == 1 else "have"


CheckFunction = Callable[..., CheckOutcome]


@dataclass(frozen=True)
class RegisteredCheck:
    """A check as the pages and the service see it: key, title, description and its function.

    The function is called as ``function(now=<the run's time>)``.
    """

    key: str
    title: str
    description: str
    function: CheckFunction

    def evaluate(self, *, now: datetime) -> CheckOutcome:
        return self.function(now=now)


_REGISTRY: dict[str, RegisteredCheck] = {}


def check(*, key: str, title: str, description: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the automated check ``key``; a key registered twice is refused."""

    def register(function: CheckFunction) -> CheckFunction:
        if key in _REGISTRY and _REGISTRY[key].function is not function:
            raise ValueError(f"The automated check {key!r} is registered twice.")
        _REGISTRY[key] = RegisteredCheck(key=key, title=title, description=description, function=function)
        return function

    return register


def registered_checks() -> list[RegisteredCheck]:
    """Return every registered check, by key."""
    _load_check_modules()
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def get_check(key: str) -> RegisteredCheck | None:
    """Return the check registered as ``key``, or None."""
    _load_check_modules()
    return _REGISTRY.get(key)


def check_keys() -> list[str]:
    return [registered.key for registered in registered_checks()]


# The area modules register their checks when imported.
CHECK_MODULES = ("accounts", "audit", "consent", "crypto", "datasets", "erasure", "ml_models", "sharing", "training")


def _load_check_modules() -> None:
    for name in CHECK_MODULES:
        import_module(f"compliance.controls.checks.{name}")
