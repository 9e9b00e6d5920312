"""The subject pages: search, the subject's page with reveal, recording, withdrawal, and receipt downloads."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from consent import selectors, services
from consent.forms import RecordConsentForm, SubjectSearchForm, WithdrawForm, add_service_errors
from consent.masking import masked_identifiers
from consent.paging import BadCursor
from consent.services.subjects import REVEAL_PERMISSION

view_subjects_required = permission_required(selectors.VIEW_SUBJECT, raise_exception=True)


def _json_download(document: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@view_subjects_required
def subject_search(request):
    """Find subjects by external id, or by exact email or phone through the blind index; identifiers masked; keyset pages."""
    form = SubjectSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    status, cursor_error = 200, ""
    try:
        page = selectors.subject_page(user=request.user, query=query, cursor=request.GET.get("cursor") or None)
    except BadCursor as error:
        # A changed or stale link: say so, and show the first page rather than guess a position.
        status, cursor_error = 400, str(error)
        page = selectors.subject_page(user=request.user, query=query)
    rows = [(subject, masked_identifiers(subject)) for subject in page.rows]
    context = {"form": form, "page": page, "rows": rows, "query": urlencode({"q": query}) if query else "", "cursor_error": cursor_error}
    return render(request, "consent/subject_search.html", context, status=status)


def _subject_page(request, subject, *, revealed=None, record_form=None):
    context = {
        "subject": subject,
        "masked": masked_identifiers(subject),
        "revealed": revealed,
        "states": selectors.consent_states_for_subject(subject=subject),
        "timeline": selectors.consent_timeline(subject=subject),
        "datasets": selectors.datasets_holding_subject(user=request.user, subject=subject),
        "record_form": record_form or RecordConsentForm(),
        "withdraw_form": WithdrawForm(),
        "may_reveal": request.user.has_perm(REVEAL_PERMISSION),
        "may_record": request.user.has_perm("consent.add_consentevent"),
    }
    return render(request, "consent/subject_detail.html", context)


@require_GET
@view_subjects_required
def subject_detail(request, external_id: str):
    """A subject: masked identifiers, current consent per purpose, timeline, datasets that may hold them."""
    subject = selectors.subject_for_user(user=request.user, external_id=external_id)
    return _subject_page(request, subject)


@require_POST
@permission_required(REVEAL_PERMISSION, raise_exception=True)
def subject_reveal(request, external_id: str):
    """Show the subject's identifiers in clear on this response only, and audit it (DPO)."""
    subject = selectors.subject_for_user(user=request.user, external_id=external_id)
    revealed = services.reveal_identifiers(actor=request.user, subject=subject)
    return _subject_page(request, subject, revealed=revealed)


@require_GET
@view_subjects_required
def subject_receipt(request, external_id: str):
    """Download the subject's ISO/IEC TS 27560 consent receipt (an audited export)."""
    subject = selectors.subject_for_user(user=request.user, external_id=external_id)
    document = services.export_subject_receipt(actor=request.user, subject=subject)
    return _json_download(document, f"consent-receipt-{subject.pk}.json")


@require_POST
@permission_required("consent.add_consentevent", raise_exception=True)
def record(request, external_id: str):
    """Record a grant, refusal or withdrawal the DPO received (a paper form, a phone call)."""
    subject = selectors.subject_for_user(user=request.user, external_id=external_id)
    form = RecordConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = services.record_consent(
                actor=request.user,
                subject=subject,
                purpose=data["purpose"],
                status=data["status"],
                notice_version=data["notice_version"] or None,
                collection_method=data["collection_method"],
                occurred_at=data["occurred_at"],
                expires_at=data["expires_at"],
                reason=data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Recorded: {event.get_status_display().lower()} for {event.purpose.name}."
            )
            return redirect("consent:subject_detail", external_id=subject.external_id)
    return _subject_page(request, subject, record_form=form)


@require_POST
@permission_required("consent.add_consentevent", raise_exception=True)
def withdraw(request, external_id: str, purpose_code: str):
    """Withdraw the subject's consent to one purpose, with a reason: one click, like granting."""
    subject = selectors.subject_for_user(user=request.user, external_id=external_id)
    purpose = selectors.purpose_for_user(user=request.user, code=purpose_code)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the consent is withdrawn, for example 'asked by email on 3 March'.")
    else:
        try:
            services.withdraw_consent(actor=request.user, subject=subject, purpose=purpose, reason=form.cleaned_data["reason"])
        except services.ConsentActionRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"Consent to {purpose.name} withdrawn.")
    return redirect("consent:subject_detail", external_id=subject.external_id)


@require_GET
@permission_required(selectors.VIEW_EVENT, raise_exception=True)
def event_receipt(request, pk):
    """Download one event's receipt: ISO/IEC TS 27560, or Kantara v1.1 with ?format=kantara."""
    event = selectors.event_for_user(user=request.user, pk=pk)
    receipt_format = request.GET.get("format", "iso")
    try:
        document = services.export_event_receipt(actor=request.user, event=event, format=receipt_format)
    except ValidationError as error:
        return JsonResponse({"detail": error.messages[0]}, status=400)
    return _json_download(document, f"consent-receipt-{event.pk}-{receipt_format}.json")


