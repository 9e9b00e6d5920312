"""The automated checks' pages: the overview with "Run now", and each check's timeline and failing objects."""

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from compliance.controls import check_selectors, check_services
from compliance.controls.checks.registry import get_check

RESULTS_PER_PAGE = 96  # four days of hourly runs


@require_GET
@permission_required(check_selectors.VIEW_PERMISSION, raise_exception=True)
def check_list(request):
    """Every automated check: its latest status and summary, when it last ran, and the controls it tests."""
    rows = check_selectors.check_rows(user=request.user)
    context = {
        "rows": rows,
        "tally": Counter(row.status or "not_run" for row in rows),
        "may_run": request.user.has_perm(check_services.RUN_PERMISSION),
    }
    return render(request, "controls/check_list.html", context)


@require_GET
@permission_required(check_selectors.VIEW_PERMISSION, raise_exception=True)
def check_detail(request, key: str):
    """One check: what it tests, its pass/fail timeline newest first (paged), and the latest run's failing objects."""
    row = check_selectors.check_row_for_user(user=request.user, key=key)
    page = Paginator(check_selectors.results_for_check(user=request.user, key=key), RESULTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "row": row,
        "page": page,
        "may_run": request.user.has_perm(check_services.RUN_PERMISSION),
    }
    return render(request, "controls/check_detail.html", context)


@require_POST
@permission_required(check_services.RUN_PERMISSION, raise_exception=True)
def check_run(request):
    """Queue a run of every check, or of the one named by ``key``, in the worker; come back with a message."""
    key = request.POST.get("key", "").strip()
    back = reverse("controls:check_detail", args=[key]) if key and get_check(key) else reverse("controls:check_list")
    try:
        check_services.request_check_run(actor=request.user, keys=[key] if key else None)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    if key:
        messages.success(request, f"Queued: the check {key} runs in the background. Reload this page in a minute to see its result.")
    else:
        messages.success(request, "Queued: every check runs in the background. Reload this page in a minute to see the results.")
    return redirect(back)
