"""The framework browser: the frameworks, one framework's tree with search, one requirement."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from compliance.controls import selectors
from compliance.controls.forms import SearchForm
from compliance.controls.views.common import VIEW_FRAMEWORK, required


@require_GET
@required(VIEW_FRAMEWORK)
def framework_list(request):
    """Every loaded framework with its version and its counts of requirements and assessable ones."""
    return render(request, "controls/framework_list.html", {"frameworks": selectors.frameworks_for_user(user=request.user)})


@require_GET
@required(VIEW_FRAMEWORK)
def framework_detail(request, code: str):
    """A framework's tree; a search shows the matching requirements, highlighted, with their ancestors."""
    framework = selectors.framework_for_user(user=request.user, code=code)
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context = {"framework": framework, "form": form, "tree": selectors.framework_tree(framework=framework, query=query)}
    return render(request, "controls/framework_detail.html", context)


@require_GET
@required(VIEW_FRAMEWORK)
def requirement_detail(request, pk: int):
    """A requirement: its guidance, typical evidence, mapped controls and where it stands in each assessment."""
    requirement = selectors.requirement_for_user(user=request.user, pk=pk)
    context = {
        "requirement": requirement,
        "ancestors": selectors.ancestors_of(requirement),
        "children": requirement.children.filter(retired_at__isnull=True).order_by("position"),
        "controls": requirement.controls.order_by("code"),
        "evidence": selectors.evidence_for_requirement(requirement=requirement),
        "assessments": selectors.requirement_assessments(requirement=requirement),
    }
    return render(request, "controls/requirement_detail.html", context)
