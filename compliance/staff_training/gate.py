"""The training gate: people who handle personal data must be current on their training.

``TRAINING_GATE = "warn"`` shows DPOs, data stewards and ML engineers (the roles holding
``staff_training.gated_by_training``, see ``compliance.accounts.roles``) who are overdue on a required course or policy a banner on every page naming it
and its due date; ``"block"`` also answers the personal-data pages named in
``TRAINING_GATE_PROTECTED_VIEWS`` (URL names or whole namespaces, so this module
imports nothing of consent) with a 403 page saying what to complete and how, and
records the refusal in the audit log. Training pages, sign-in, MFA and sign-out
are never in that list, so nobody is kept from their own training.

The state is computed lazily once per request: no query for anonymous users,
administrators or roles the gate does not concern (the permission check reads the
permission cache the navigation has loaded already), and otherwise the one query of
``selectors.training_status_for_user``, which the navigation shares.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from compliance.audit.services import record_event
from compliance.staff_training.selectors import OverdueItem, training_status_for_user

GATED_PERMISSION = "staff_training.gated_by_training"


@dataclass(frozen=True)
class GateState:
    """What the gate knows about the current user: their overdue required training, and the mode."""

    mode: str
    overdue: list[OverdueItem] = field(default_factory=list)

    @property
    def blocks(self) -> bool:
        return self.mode == "block" and bool(self.overdue)

    def __bool__(self) -> bool:
        return bool(self.overdue)


def gate_state(*, user, now: datetime | None = None) -> GateState:
    """Return the user's overdue required training if their role is gated, else an empty state."""
    mode = settings.TRAINING_GATE
    if user is None or not user.is_authenticated:
        return GateState(mode=mode)
    # A superuser holds every permission; administration is not a role that handles personal data.
    if user.is_superuser or not user.has_perm(GATED_PERMISSION):
        return GateState(mode=mode)
    overdue = training_status_for_user(user=user, now=now).overdue
    return GateState(mode=mode, overdue=overdue)


def is_protected(view_name: str, protected: list[str] | None = None) -> bool:
    """Whether a resolved view name ("namespace:name") is listed, by name or by namespace."""
    if not view_name:
        return False
    protected = settings.TRAINING_GATE_PROTECTED_VIEWS if protected is None else protected
    namespace = view_name.rpartition(":")[0]
    return any(entry == view_name or (":" not in entry and entry == namespace) for entry in protected)


class TrainingGateMiddleware:
    """Attach ``request.training_gate`` (lazy) and, in block mode, refuse protected views to the overdue."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.training_gate = SimpleLazyObject(lambda: gate_state(user=getattr(request, "user", None)))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if settings.TRAINING_GATE != "block":
            return None
        match = request.resolver_match
        if match is None or not is_protected(match.view_name):
            return None
        state = request.training_gate
        if not state.blocks:
            return None
        record_event(
            actor=request.user,
            action="training.gate_refused",
            target=request.user,
            data={
                "view": match.view_name,
                "path": request.path,
                "overdue": [
                    {"assignment": item.assignment_id, "requirement": item.code, "due": item.due_at.isoformat()}
                    for item in state.overdue
                ],
            },
        )
        return render(request, "staff_training/gate_blocked.html", {"gate": state}, status=403)


def training_gate(request) -> dict:
    """Template context: ``training_gate`` (a GateState, evaluated only if the page looks at it)."""
    return {"training_gate": getattr(request, "training_gate", None)}
