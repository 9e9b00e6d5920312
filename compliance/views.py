"""Shell pages: the home page, health, and error pages."""

import logging
import uuid

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.http import HttpResponseServerError
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from compliance import health
from compliance.accounts.middleware import mfa_not_required
from compliance.accounts.roles import Role
from compliance.audit.services import record_event
from compliance.home import cards_for

logger = logging.getLogger("custos.errors")


# Roles whose home is a page of their own (compliance.reports): the manager's dashboard, the auditor's workspace.
ROLE_HOMES = (
    (Role.COMPLIANCE_MANAGER, "reports:dashboard", "reports.view_dashboardsummary"),
    (Role.AUDITOR, "reports:workspace", "reports.view_workspace"),
)


@require_GET
def home(request):
    """The signed-in user's home page: the dashboard for managers, the workspace for auditors, else what their roles let them do."""
    user = request.user
    for role, url_name, permission in ROLE_HOMES:
        if user.has_role(role) and user.has_perm(permission):
            return redirect(url_name)
    return render(request, "home.html", {"cards": cards_for(user)})


@login_not_required
@mfa_not_required
@never_cache
@require_GET
def healthz(request):
    """Return JSON on database, broker and worker: 200 when all answer, 503 naming what does not."""
    checks = health.run_checks()
    failing = [check.name for check in checks if not check.ok]
    body = {
        "status": "ok" if not failing else "unavailable",
        "failing": failing,
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    return JsonResponse(body, status=503 if failing else 200)


def _support_id() -> str:
    return uuid.uuid4().hex[:12]


def permission_denied(request, exception=None):
    """403: say so plainly, and record the refusal in the audit log."""
    support_id = _support_id()
    user = getattr(request, "user", None)
    record_event(
        actor=user,
        action="auth.permission_denied",
        data={"path": request.path[:300], "method": request.method, "support_id": support_id},
    )
    return render(request, "errors/403.html", {"support_id": support_id}, status=403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        # Programs get the API's JSON error format, even for a path no endpoint answers.
        return JsonResponse({"detail": "No such API endpoint.", "code": "not_found"}, status=404)
    return render(request, "errors/404.html", {"support_id": _support_id()}, status=404)


def server_error(request):
    """500: a support id the user can quote, the traceback only in the server log."""
    support_id = _support_id()
    logger.error("Server error %s on %s %s", support_id, request.method, request.path)
    # No context processors: whatever failed may be what they would call.
    template = loader.get_template("errors/500.html")
    return HttpResponseServerError(template.render({"support_id": support_id}))
