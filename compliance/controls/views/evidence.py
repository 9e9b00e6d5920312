"""The evidence pages: the list with expiry badges, upload, one item, and the audited download."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from compliance.controls import selectors, services
from compliance.controls.evidence_files import EvidenceFileRefused
from compliance.controls.forms import EvidenceFilterForm, EvidenceForm
from compliance.controls.views.common import ADD_EVIDENCE, CHANGE_EVIDENCE, VIEW_EVIDENCE, query_string, required
from compliance.crypto.keyring import DecryptionError

EVIDENCE_PER_PAGE = 50
# A multipart body carries a little more than its file (boundaries, the other fields).
MULTIPART_ALLOWANCE = 64 * 1024


def _record_fields(form: EvidenceForm) -> dict:
    """Return what the evidence services take from the form besides the file."""
    data = form.cleaned_data
    fields = ("title", "description", "effective_date", "expires_on", "requirements")
    return {**{name: data[name] for name in fields}, "controls": list(data["controls"])}


@require_GET
@required(VIEW_EVIDENCE)
def evidence_list(request):
    """The evidence files, newest first, with what they are linked to and whether they have expired."""
    form = EvidenceFilterForm(request.GET)
    page = None
    if form.is_valid():
        filters = selectors.EvidenceFilters(expiry=form.cleaned_data["expiry"], query=form.cleaned_data["q"])
        page = Paginator(selectors.evidence_list_for_user(user=request.user, filters=filters), EVIDENCE_PER_PAGE).get_page(
            request.GET.get("page")
        )
    context = {
        "form": form,
        "page": page,
        "today": timezone.localdate(),
        "query": query_string(form),
        "may_add": request.user.has_perm(ADD_EVIDENCE),
    }
    return render(request, "controls/evidence_list.html", context)


@require_http_methods(["GET", "POST"])
@required(ADD_EVIDENCE)
def evidence_upload(request):
    """Upload an evidence file with its effective date and expiry, linked to controls and/or requirements."""
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.EVIDENCE_MAX_BYTES + MULTIPART_ALLOWANCE:
            # Refused before the body is read: nothing of it reaches the disk.
            context = {"form": EvidenceForm(), "refused": services.too_large_message(length)}
            return render(request, "controls/evidence_form.html", context, status=413)
    initial = {"effective_date": timezone.localdate()}
    if request.GET.get("control"):
        initial["controls"] = [request.GET["control"]]
    if request.GET.get("requirement"):
        initial["requirements"] = request.GET["requirement"]
    form = EvidenceForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            evidence = services.upload_evidence(actor=request.user, file=form.cleaned_data["file"], **_record_fields(form))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Evidence {evidence.title} stored, encrypted.")
            return redirect("controls:evidence_detail", uid=evidence.uid)
    status = 400 if request.method == "POST" else 200
    return render(request, "controls/evidence_form.html", {"form": form}, status=status)


@require_GET
@required(VIEW_EVIDENCE)
def evidence_detail(request, uid):
    """One evidence file: what it is, its dates, its SHA-256, what it is linked to."""
    evidence = selectors.evidence_item_for_user(user=request.user, uid=uid)
    context = {
        "evidence": evidence,
        "expired": evidence.is_expired(),
        "may_change": request.user.has_perm(CHANGE_EVIDENCE),
        **selectors.evidence_links(evidence=evidence),
    }
    return render(request, "controls/evidence_detail.html", context)


@require_http_methods(["GET", "POST"])
@required(CHANGE_EVIDENCE)
def evidence_edit(request, uid):
    """Change an evidence record's title, description, dates and links; the file stays as uploaded."""
    evidence = selectors.evidence_item_for_user(user=request.user, uid=uid)
    links = selectors.evidence_links(evidence=evidence)
    initial = {
        "title": evidence.title,
        "description": evidence.description,
        "effective_date": evidence.effective_date,
        "expires_on": evidence.expires_on,
        "controls": [control.code for control in links["controls"]],
        "requirements": "\n".join(f"{r.framework.code}:{r.ref}" for r in links["requirements"]),
    }
    form = EvidenceForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_evidence(actor=request.user, evidence=evidence, **_record_fields(form))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Evidence {evidence.title} saved.")
            return redirect("controls:evidence_detail", uid=evidence.uid)
    return render(request, "controls/evidence_form.html", {"form": form, "evidence": evidence})


@require_GET
@required(VIEW_EVIDENCE)
def evidence_download(request, uid):
    """Send the decrypted file as an attachment, never rendered by the browser; every download is audited."""
    evidence = selectors.evidence_item_for_user(user=request.user, uid=uid)
    try:
        content = services.download_evidence(actor=request.user, evidence=evidence)
    except (FileNotFoundError, DecryptionError, EvidenceFileRefused):
        messages.error(
            request,
            "The stored file is missing or does not decrypt with the configured keys; nothing was sent. "
            "Restore EVIDENCE_ROOT from backup or upload the evidence again.",
        )
        return redirect("controls:evidence_detail", uid=evidence.uid)
    response = HttpResponse(content, content_type=evidence.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=evidence.original_name)
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
