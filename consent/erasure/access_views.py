"""The access request pages: list and intake, the request page with its actions, and the archive's download.

The request page reloads itself every few seconds while the export runs,
through ``<meta http-equiv="refresh">`` as the erasure request page does (the
CSP forbids inline script). The download is the DPO's alone, served as an
attachment that no browser sniffs or caches, and every download is audited.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consent.erasure import access_engine, access_selectors, access_services, services
from consent.erasure.access_forms import AccessFilterForm, AccessRejectForm
from consent.erasure.access_models import AccessRequest
from consent.erasure.forms import ReasonForm, ReassignForm, RequestForm, VerifyForm
from consent.erasure.services import ErasureActionRefused
from consent.erasure.views import NoFields, _query, _required, _transition_view, clock_forms, receive_from_form
from consent.masking import mask_email, mask_phone
from consent.services.subjects import REVEAL_PERMISSION

ACCESS_PER_PAGE = 50
VIEW_ACCESS = access_selectors.VIEW_ACCESS
ADD_ACCESS = "erasure.add_accessrequest"
HANDLE_ACCESS = "erasure.change_accessrequest"
DOWNLOAD_ACCESS = "erasure.download_accessrequest"


@require_GET
@_required(VIEW_ACCESS)
def access_list(request):
    """The access requests, soonest due first, filtered by status, with the days left on their clock."""
    form = AccessFilterForm(request.GET)
    now = timezone.now()
    page = None
    if form.is_valid():
        rows = access_selectors.access_requests_for_user(user=request.user, now=now, **form.cleaned_data)
        page = Paginator(rows, ACCESS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [(item, item.clock(now)) for item in page.object_list] if page else [],
        "query": _query(form),
        "may_add": request.user.has_perm(ADD_ACCESS),
    }
    return render(request, "erasure/access_list.html", context)


@require_http_methods(["GET", "POST"])
@_required(ADD_ACCESS)
def access_create(request):
    """File an access request the DPO received: a known subject, or an unknown person by email and/or phone."""
    form = RequestForm(request.POST if request.method == "POST" else None, initial={"assignee": request.user.get_username()})
    form.fields["clause"].help_text = "For example GDPR Art. 15(1)(c); empty for the regulation's right of access."
    if request.method == "POST" and form.is_valid():
        created = receive_from_form(request, form, access_services.receive_access_request)
        if created is not None:
            due = timezone.localtime(created.due_at)
            messages.success(request, f"Access request {created.reference} received; due {due:%d %B %Y}.")
            return redirect("erasure:access_detail", pk=created.pk)
    return render(request, "erasure/access_form.html", {"form": form})


def _access_page(request, access_request: AccessRequest, *, revealed=None):
    user = request.user
    context = {
        "item": access_request,
        "clock": access_request.clock(),
        "masked": {"email": mask_email(access_request.email), "phone": mask_phone(access_request.phone)},
        "has_contact": bool(access_request.requester_contact),
        "results": access_selectors.results_for_request(request=access_request),
        "download_until": access_request.download_until(),
        "may_handle": user.has_perm(HANDLE_ACCESS),
        "may_download": user.has_perm(DOWNLOAD_ACCESS),
        "verify_form": VerifyForm(),
        "reject_form": AccessRejectForm(initial={"clause": access_request.clause}),
        **clock_forms(access_request),
        "revealed": revealed,
        "may_reveal": user.has_perm(REVEAL_PERMISSION),
    }
    return render(request, "erasure/access_detail.html", context)


@require_GET
@_required(VIEW_ACCESS)
def access_detail(request, pk: int):
    """An access request: its facts, clock, verification, what each location answered, and the archive."""
    return _access_page(request, access_selectors.access_request_for_user(user=request.user, pk=pk))


@require_POST
@_required(REVEAL_PERMISSION)
def access_reveal(request, pk: int):
    """Show the identifiers and contact given with the request in clear, on this response only, audited (DPO)."""
    access_request = access_selectors.access_request_for_user(user=request.user, pk=pk)
    revealed = access_services.reveal_access_identifiers(actor=request.user, request=access_request)
    return _access_page(request, access_request, revealed=revealed)


ACCESS_PAGE = {"fetch": access_selectors.access_request_for_user, "detail": "erasure:access_detail"}


access_verify = _transition_view(
    HANDLE_ACCESS, VerifyForm, access_services.verify_access_request,
    "Access request {ref} verified; every location is being read.",
    "Record how the requester's identity was verified, and start reading every location.",
    **ACCESS_PAGE,
)
access_reject = _transition_view(
    HANDLE_ACCESS, AccessRejectForm, access_services.reject_access_request, "Access request {ref} rejected.",
    "Refuse the request with the reason and the clause relied on.",
    **ACCESS_PAGE,
)
access_extend = _transition_view(
    HANDLE_ACCESS, ReasonForm, services.extend_deadline, "Access request {ref}'s deadline extended.",
    "Extend the deadline once, with the reason (GDPR) or the notice given (CCPA).",
    **ACCESS_PAGE,
)
access_pause = _transition_view(
    HANDLE_ACCESS, NoFields, services.pause_clock, "Access request {ref}'s clock paused.",
    "Stop the clock while waiting on the requester.",
    **ACCESS_PAGE,
)
access_resume = _transition_view(
    HANDLE_ACCESS, NoFields, services.resume_clock, "Access request {ref}'s clock resumed.",
    "Restart the clock; the due date moves by the time it stood still.",
    **ACCESS_PAGE,
)
access_reassign = _transition_view(
    HANDLE_ACCESS, ReassignForm, services.reassign_request, "Access request {ref} reassigned.",
    "Give the request to another handler.",
    **ACCESS_PAGE,
)
access_retry = _transition_view(
    HANDLE_ACCESS, NoFields, access_engine.retry_failed_results, "Access request {ref}'s failed locations are read again.",
    "Give a failed request's failed locations a fresh set of attempts.",
    **ACCESS_PAGE,
)


def archive_response(content: bytes, access_request: AccessRequest) -> HttpResponse:
    """Return the ZIP as an attachment that browsers neither sniff nor cache."""
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="access-request-A{access_request.pk}.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@_required(DOWNLOAD_ACCESS)
def access_download(request, pk: int):
    """Download the request's archive (DPO only); 410 once it expired. Every download is audited."""
    access_request = access_selectors.access_request_for_user(user=request.user, pk=pk)
    try:
        content = access_engine.archive_for_download(actor=request.user, request=access_request)
    except access_engine.ArchiveGone as gone:
        return render(request, "erasure/access_gone.html", {"item": access_request, "message": gone.message}, status=410)
    except ErasureActionRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("erasure:access_detail", pk=access_request.pk)
    return archive_response(content, access_request)
