"""The manager dashboard (/dashboard/) and the auditor's workspace (/reports/workspace/): read-only pages."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from compliance.reports.dashboard_selectors import VIEW_DASHBOARD, dashboard_for_user
from compliance.reports.workspace_selectors import VIEW_WORKSPACE, workspace_for_user


@require_GET
@permission_required(VIEW_DASHBOARD, raise_exception=True)
def dashboard(request):
    """The compliance manager's home: scores and trends, rights requests, consent, datasets, models, training, high-risk events."""
    return render(request, "reports/dashboard.html", {"dashboard": dashboard_for_user(user=request.user)})


@require_GET
@permission_required(VIEW_WORKSPACE, raise_exception=True)
def workspace(request):
    """The auditor's home: every register read-only, the audit chain's status and signed head, assessments, reports."""
    return render(request, "reports/workspace.html", {"workspace": workspace_for_user(user=request.user)})
