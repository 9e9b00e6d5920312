"""The purpose pages: the list with consent coverage, create and edit, the detail with notices, publishing a notice."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from consent import selectors, services
from consent.forms import NoticeForm, PurposeForm, add_service_errors
from consent.models import Purpose

view_purposes_required = permission_required(selectors.VIEW_PURPOSE, raise_exception=True)


@require_GET
@view_purposes_required
def purpose_list(request):
    """Every purpose with its consent coverage: granted, withdrawn, refused, expired, no answer."""
    return render(request, "consent/purpose_list.html", {"coverage": selectors.purposes_with_coverage(user=request.user)})


@require_GET
@view_purposes_required
def purpose_detail(request, code: str):
    """A purpose: its notices (versions and digests), the datasets it feeds, its coverage."""
    purpose = selectors.purpose_for_user(user=request.user, code=code)
    context = {
        "purpose": purpose,
        "coverage": selectors.coverage_for_purpose(purpose=purpose),
        "notices": selectors.notices_for_purpose(purpose=purpose),
        "datasets": selectors.datasets_for_purpose(purpose_code=purpose.code, user=request.user),
    }
    return render(request, "consent/purpose_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("consent.add_purpose", raise_exception=True)
def purpose_create(request):
    """Create a purpose of processing."""
    form = PurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            purpose = services.create_purpose(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Purpose {purpose.name} created. Publish its notice next.")
            return redirect("consent:purpose_detail", code=purpose.code)
    return render(request, "consent/purpose_form.html", {"form": form, "purpose": None})


@require_http_methods(["GET", "POST"])
@permission_required("consent.change_purpose", raise_exception=True)
def purpose_edit(request, code: str):
    """Change a purpose's name, description, lawful basis, whether it needs consent, whether it is active."""
    purpose = selectors.purpose_for_user(user=request.user, code=code)
    initial = {field: getattr(purpose, field) for field in ("name", "description", "lawful_basis", "consent_required", "active")}
    form = PurposeForm(request.POST or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_purpose(actor=request.user, purpose=purpose, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Purpose {purpose.name} saved.")
            return redirect("consent:purpose_detail", code=purpose.code)
    return render(request, "consent/purpose_form.html", {"form": form, "purpose": purpose})


@require_http_methods(["GET", "POST"])
@permission_required("consent.add_privacynotice", raise_exception=True)
def notice_create(request, code: str):
    """Publish a new version of a purpose's privacy notice."""
    purpose: Purpose = selectors.purpose_for_user(user=request.user, code=code)
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.publish_notice(actor=request.user, purpose=purpose, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Notice {notice.version} published for {purpose.name}.")
            return redirect("consent:purpose_detail", code=purpose.code)
    return render(request, "consent/notice_form.html", {"form": form, "purpose": purpose})
