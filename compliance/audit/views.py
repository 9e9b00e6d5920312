"""The audit-log pages: the filtered, paginated log and one event; "Verify now"."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from compliance.audit import selectors, services
from compliance.audit.forms import EventFilterForm
from compliance.audit.models import AuditCheckpoint


@require_GET
@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
def event_list(request):
    """The audit log, newest first, filtered and paginated by sequence, with the chain's status."""
    form = EventFilterForm(request.GET)
    page = None
    if form.is_valid():
        page = selectors.event_page(
            user=request.user,
            filters=form.filters(),
            before=form.cleaned_data["before"],
            after=form.cleaned_data["after"],
        )
    context = {
        "form": form,
        "page": page,
        "filter_query": form.filter_query() if page is not None else "",
        "status": selectors.chain_status(),
    }
    return render(request, "audit/event_list.html", context)


@require_GET
@permission_required(selectors.VIEW_PERMISSION, raise_exception=True)
def event_detail(request, sequence: int):
    """One event in full, with whether its hash recomputes and whether it follows its predecessor."""
    detail = selectors.event_detail_for_user(user=request.user, sequence=sequence)
    return render(request, "audit/event_detail.html", {"detail": detail, "event": detail.event})


@require_POST
@permission_required("audit.verify_chain", raise_exception=True)
def verify(request):
    """Walk the chain now, record the outcome, and come back to the log with it."""
    verification = services.verify_and_record(actor=request.user, reason=AuditCheckpoint.Reason.MANUAL)
    if verification.intact:
        messages.success(request, verification.summary)
    else:
        messages.error(request, verification.summary)
    return redirect("audit:event_list")
