"""The erasure pages: request list and intake, the request page with its transitions, legal holds.

Every transition is a POST that calls one service and comes back to the
request's page with a message: what changed, or why it was refused.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consent import selectors as consent_selectors
from consent.erasure import selectors, services
from consent.erasure.forms import (
    HoldFilterForm,
    LegalHoldForm,
    ReasonForm,
    ReassignForm,
    RejectForm,
    RequestFilterForm,
    RequestForm,
    VerifyForm,
)
from consent.erasure.models import ErasureRequest
from consent.erasure.services import ErasureActionRefused
from consent.forms import add_service_errors
from consent.masking import mask_email, mask_phone
from consent.services.subjects import REVEAL_PERMISSION
from datasets.selectors import visible_datasets

REQUESTS_PER_PAGE = 50
HOLDS_PER_PAGE = 50
VIEW_REQUEST = selectors.VIEW_REQUEST
ADD_REQUEST = "erasure.add_erasurerequest"
HANDLE_REQUEST = selectors.HANDLE_REQUEST
APPROVE_REQUEST = "erasure.approve_erasurerequest"
VIEW_HOLD = selectors.VIEW_HOLD
ADD_HOLD = "erasure.add_legalhold"
CHANGE_HOLD = "erasure.change_legalhold"


def _required(permission: str):
    return permission_required(permission, raise_exception=True)


def _query(form: forms.Form) -> str:
    if not form.is_valid():
        return ""
    return urlencode({name: value for name, value in form.data.items() if name != "page" and value})


# --- Requests ------------------------------------------------------------------------------------


@require_GET
@_required(VIEW_REQUEST)
def request_list(request):
    """The requests, soonest due first, filtered by status, regulation, clock and assignee, with days left."""
    form = RequestFilterForm(request.GET)
    now = timezone.now()
    page = None
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.RequestFilters(
            status=data["status"],
            regulation=data["regulation"],
            due=data["due"],
            assignee=data["assignee"].pk if data["assignee"] else None,
        )
        rows = selectors.requests_for_user(user=request.user, filters=filters, now=now)
        page = Paginator(rows, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [(item, item.clock(now)) for item in page.object_list] if page else [],
        "query": _query(form),
        "may_add": request.user.has_perm(ADD_REQUEST),
    }
    return render(request, "erasure/request_list.html", context)


def receive_from_form(request, form: RequestForm, receive: Callable):
    """File a request from a valid RequestForm with ``receive`` (an intake service): a known subject, or identifiers.

    Return the request filed, or None with what is wrong added to the form.
    """
    data = form.cleaned_data
    subject = None
    if data["external_id"].strip():
        try:
            subject = consent_selectors.subject_for_user(user=request.user, external_id=data["external_id"].strip())
        except Http404:
            form.add_error(
                "external_id",
                "No subject has this external id. Check it, or leave it empty and give the person's email or phone.",
            )
            return None
    try:
        return receive(
            actor=request.user,
            subject=subject,
            identifiers=form.identifiers(),
            regulation=data["regulation"] or None,
            clause=data["clause"],
            source=ErasureRequest.Source.BROWSER,
            requester_contact=data["requester_contact"],
            assignee=data["assignee"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


@require_http_methods(["GET", "POST"])
@_required(ADD_REQUEST)
def request_create(request):
    """File a request the DPO received: a known subject, or an unknown person by email and/or phone."""
    form = RequestForm(request.POST if request.method == "POST" else None, initial={"assignee": request.user.get_username()})
    if request.method == "POST" and form.is_valid():
        created = receive_from_form(request, form, services.receive_erasure_request)
        if created is not None:
            messages.success(request, f"Request {created.reference} received; due {timezone.localtime(created.due_at):%d %B %Y}.")
            return redirect("erasure:request_detail", pk=created.pk)
    return render(request, "erasure/request_form.html", {"form": form})


def clock_forms(item) -> dict:
    """Return the forms ``_clock_controls.html`` needs for an erasure or access request: the extension's reason, the assignee."""
    assignee = item.assignee.get_username() if item.assignee else None
    return {"reason_form": ReasonForm(), "reassign_form": ReassignForm(initial={"assignee": assignee})}


def _request_page(request, erasure_request: ErasureRequest, *, revealed=None):
    user = request.user
    context = {
        "item": erasure_request,
        "clock": erasure_request.clock(),
        "masked": {"email": mask_email(erasure_request.email), "phone": mask_phone(erasure_request.phone)},
        "has_contact": bool(erasure_request.requester_contact),
        "revealed": revealed,
        "steps": selectors.steps_for_request(request=erasure_request),
        "discovery": selectors.discovery_for_request(request=erasure_request),
        "holds": selectors.holds_affecting_request(request=erasure_request),
        "may_handle": user.has_perm(HANDLE_REQUEST),
        "may_approve": user.has_perm(APPROVE_REQUEST),
        "may_reveal": user.has_perm(REVEAL_PERMISSION),
        "verify_form": VerifyForm(),
        "reject_form": RejectForm(initial={"clause": erasure_request.clause}),
        **clock_forms(erasure_request),
    }
    return render(request, "erasure/request_detail.html", context)


@require_GET
@_required(VIEW_REQUEST)
def request_detail(request, pk: int):
    """A request: its facts, clock, verification, steps, discovery counts and the holds that affect it."""
    return _request_page(request, selectors.request_for_user(user=request.user, pk=pk))


@require_POST
@_required(REVEAL_PERMISSION)
def request_reveal(request, pk: int):
    """Show the identifiers and contact given with the request in clear, on this response only, audited (DPO)."""
    erasure_request = selectors.request_for_user(user=request.user, pk=pk)
    revealed = services.reveal_request_identifiers(actor=request.user, request=erasure_request)
    return _request_page(request, erasure_request, revealed=revealed)


def _transition(
    request, pk: int, form_class: type[forms.Form], act: Callable, done: str, *, fetch=None, detail="erasure:request_detail"
):
    """Run one transition from a POSTed form and return to the request's page (``detail``) with a message.

    ``fetch(user=, pk=)`` finds the request (an erasure request by default; access requests pass theirs).
    """
    erasure_request = (fetch or selectors.request_for_user)(user=request.user, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = (form.fields[field].label or field.replace("_", " ").capitalize()) if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(detail, pk=erasure_request.pk)
    try:
        act(actor=request.user, request=erasure_request, **form.cleaned_data)
    except ErasureActionRefused as refusal:
        messages.error(request, refusal.message)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done.format(ref=erasure_request.reference))
    return redirect(detail, pk=erasure_request.pk)


class NoFields(forms.Form):
    pass


def _transition_view(
    permission: str, form_class: type[forms.Form], act: Callable, done: str, doc: str, **where
):
    """Return a POST view that runs ``act`` with the form's data; ``done`` is the success message ({ref}: #12).

    ``where`` (``fetch``, ``detail``) points it at another kind of request, as ``_transition`` says.
    """

    @require_POST
    @_required(permission)
    def view(request, pk: int):
        return _transition(request, pk, form_class, act, done, **where)

    view.__doc__ = doc
    return view


request_verify = _transition_view(
    HANDLE_REQUEST, VerifyForm, services.verify_erasure_request, "Request {ref} verified.",
    "Record how the requester's identity was verified.",
)
request_approve = _transition_view(
    APPROVE_REQUEST, NoFields, services.approve_erasure_request, "Request {ref} approved.",
    "Approve a verified request: one step per location that may hold the subject, held ones skipped.",
)
request_reject = _transition_view(
    HANDLE_REQUEST, RejectForm, services.reject_erasure_request, "Request {ref} rejected.",
    "Reject a request with the reason and the clause relied on.",
)
request_extend = _transition_view(
    HANDLE_REQUEST, ReasonForm, services.extend_deadline, "Request {ref}'s deadline extended.",
    "Extend the deadline once, with the reason (GDPR) or the notice given (CCPA).",
)
request_pause = _transition_view(
    HANDLE_REQUEST, NoFields, services.pause_clock, "Request {ref}'s clock paused.",
    "Stop the clock while waiting on the requester.",
)
request_resume = _transition_view(
    HANDLE_REQUEST, NoFields, services.resume_clock, "Request {ref}'s clock resumed.",
    "Restart the clock; the due date moves by the time it stood still.",
)
request_reassign = _transition_view(
    HANDLE_REQUEST, ReassignForm, services.reassign_request, "Request {ref} reassigned.",
    "Give the request to another handler.",
)
request_cancel = _transition_view(
    APPROVE_REQUEST, ReasonForm, services.cancel_erasure_approval, "Request {ref}'s approval cancelled; it is verified again.",
    "Withdraw the approval before any step has run.",
)


# --- Legal holds -----------------------------------------------------------------------------------


@require_GET
@_required(VIEW_HOLD)
def hold_list(request):
    """Legal holds in force (or ended, or all), newest first."""
    form = HoldFilterForm(request.GET)
    state = (form.cleaned_data["state"] if form.is_valid() else "") or "active"
    holds = selectors.holds_for_user(user=request.user, state=state)
    page = Paginator(holds, HOLDS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "state": state,
        "now": timezone.now(),
        "query": _query(form),
        "may_add": request.user.has_perm(ADD_HOLD),
        "may_release": request.user.has_perm(CHANGE_HOLD),
    }
    return render(request, "erasure/hold_list.html", context)


@require_http_methods(["GET", "POST"])
@_required(ADD_HOLD)
def hold_create(request):
    """Put a dataset or a subject under legal hold."""
    form = LegalHoldForm(request.POST if request.method == "POST" else None, datasets=visible_datasets(request.user).order_by("name"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subject = None
        if data["external_id"].strip():
            try:
                subject = consent_selectors.subject_for_user(user=request.user, external_id=data["external_id"].strip())
            except Http404:
                form.add_error("external_id", "No subject has this external id.")
        if not form.errors:
            try:
                hold = services.set_legal_hold(
                    actor=request.user, dataset=data["dataset"], subject=subject, reason=data["reason"], until=data["until"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Legal hold #{hold.pk} set on {hold.target_label}.")
                return redirect("erasure:hold_list")
    return render(request, "erasure/hold_form.html", {"form": form})


@require_POST
@_required(CHANGE_HOLD)
def hold_release(request, pk: int):
    """Release a legal hold in force."""
    hold = selectors.hold_for_user(user=request.user, pk=pk)
    try:
        services.release_legal_hold(actor=request.user, hold=hold)
    except ErasureActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Legal hold #{hold.pk} released.")
    return redirect("erasure:hold_list")
