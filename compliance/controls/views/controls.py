"""The control pages: the list with mapped requirement counts, a control, create, edit, the mapping editor."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance.controls import selectors, services
from compliance.controls.forms import ControlFilterForm, ControlForm, MappingAddForm, MappingRemoveForm, SearchForm
from compliance.controls.views.common import ADD_CONTROL, CHANGE_CONTROL, VIEW_CONTROL, query_string, required

CONTROLS_PER_PAGE = 50


@require_GET
@required(VIEW_CONTROL)
def control_list(request):
    """The controls: status, automated status, and how many requirements each maps per framework."""
    form = ControlFilterForm(request.GET)
    page = None
    counts = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ControlFilters(status=data["status"], automated_status=data["automated_status"], query=data["q"])
        page = Paginator(selectors.controls_for_user(user=request.user, filters=filters), CONTROLS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        counts = selectors.mapping_counts(list(page.object_list))
    frameworks = list(selectors.frameworks_for_user(user=request.user).values_list("code", flat=True))
    context = {
        "form": form,
        "page": page,
        "rows": [(control, [counts.get(control.pk, {}).get(code, 0) for code in frameworks]) for control in page] if page else [],
        "frameworks": frameworks,
        "query": query_string(form),
        "may_add": request.user.has_perm(ADD_CONTROL),
    }
    return render(request, "controls/control_list.html", context)


@require_GET
@required(VIEW_CONTROL)
def control_detail(request, code: str):
    """A control: its description, owner, statuses, checks, mapped requirements and evidence."""
    control = selectors.control_for_user(user=request.user, code=code)
    context = {
        "control": control,
        "requirements": selectors.mapped_requirements(control=control),
        "evidence": selectors.evidence_for_control(control=control),
        "may_change": request.user.has_perm(CHANGE_CONTROL),
    }
    return render(request, "controls/control_detail.html", context)


@require_http_methods(["GET", "POST"])
@required(ADD_CONTROL)
def control_create(request):
    """Create an organisation control of the manager's own."""
    form = ControlForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            control = services.create_control(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Control {control.code} created. Map it to the requirements it meets next.")
            return redirect("controls:control_mapping", code=control.code)
    return render(request, "controls/control_form.html", {"form": form, "control": None})


@require_http_methods(["GET", "POST"])
@required(CHANGE_CONTROL)
def control_edit(request, code: str):
    """Change a control's title, description, owner or status."""
    control = selectors.control_for_user(user=request.user, code=code)
    initial = {"title": control.title, "description": control.description, "owner": control.owner, "status": control.status}
    form = ControlForm(request.POST or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_control(actor=request.user, control=control, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Control {control.code} saved.")
            return redirect("controls:control_detail", code=control.code)
    return render(request, "controls/control_form.html", {"form": form, "control": control})


@require_http_methods(["GET", "POST"])
@required(CHANGE_CONTROL)
def control_mapping(request, code: str):
    """The mapping editor: the control's requirements (remove), and a search to add more."""
    control = selectors.control_for_user(user=request.user, code=code)
    search = SearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    add_form = MappingAddForm(request.POST or None)
    if request.method == "POST" and add_form.is_valid():
        try:
            added = services.map_requirements(
                actor=request.user, control=control, requirements=list(add_form.cleaned_data["requirements"])
            )
        except ValidationError as error:
            add_form.add_error(None, error)
        else:
            messages.success(request, f"{added} requirement{'s' if added != 1 else ''} mapped to {control.code}.")
            return redirect("controls:control_mapping", code=control.code)
    mapped = list(selectors.mapped_requirements(control=control))
    mapped_ids = {requirement.pk for requirement in mapped}
    results = [r for r in selectors.search_requirements(user=request.user, query=query) if r.pk not in mapped_ids]
    context = {"control": control, "mapped": mapped, "search": search, "query": query, "results": results, "add_form": add_form}
    return render(request, "controls/control_mapping.html", context)


@require_POST
@required(CHANGE_CONTROL)
def control_unmap(request, code: str):
    """Remove one requirement from the control's mapping."""
    control = selectors.control_for_user(user=request.user, code=code)
    form = MappingRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a mapped requirement to remove.")
    else:
        requirement = form.cleaned_data["requirement"]
        if services.unmap_requirement(actor=request.user, control=control, requirement=requirement):
            messages.success(request, f"{requirement.framework.code}:{requirement.ref} is no longer mapped to {control.code}.")
        else:
            messages.error(request, f"{requirement.ref} was not mapped to {control.code}.")
    return redirect("controls:control_mapping", code=control.code)
