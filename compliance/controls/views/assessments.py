"""The assessment pages: the list, create, the assessment with scores, filters and bulk updates, one requirement."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance.controls import scoring, selectors, services
from compliance.controls.forms import AssessmentForm, BulkStatusForm, ItemFilterForm, ItemForm
from compliance.controls.views.common import ADD_ASSESSMENT, CHANGE_ITEM, VIEW_ASSESSMENT, query_string, required
from datasets.selectors import visible_datasets

ASSESSMENTS_PER_PAGE = 50


@require_GET
@required(VIEW_ASSESSMENT)
def assessment_list(request):
    """The assessments, newest first, with framework, scope, period, owner and score."""
    page = Paginator(selectors.assessments_for_user(user=request.user), ASSESSMENTS_PER_PAGE).get_page(request.GET.get("page"))
    scores = scoring.assessment_scores(assessment_ids=[assessment.pk for assessment in page])
    rows = [(assessment, scores[assessment.pk].percent) for assessment in page]
    context = {"page": page, "rows": rows, "may_add": request.user.has_perm(ADD_ASSESSMENT)}
    return render(request, "controls/assessment_list.html", context)


@require_http_methods(["GET", "POST"])
@required(ADD_ASSESSMENT)
def assessment_create(request):
    """Start an assessment of a framework for the organisation or one dataset, over a period, with an owner."""
    datasets = visible_datasets(request.user).order_by("name")
    form = AssessmentForm(request.POST or None, datasets=datasets, initial={"owner": request.user.get_username()})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.create_assessment(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Assessment {assessment.title} started with {assessment.items.count()} requirements.")
            return redirect("controls:assessment_detail", pk=assessment.pk)
    return render(request, "controls/assessment_form.html", {"form": form})


def _assessment_page(request, assessment, *, bulk_form=None, status=200):
    filter_form = ItemFilterForm(request.GET, sections=selectors.sections_of(framework=assessment.framework))
    filters = selectors.ItemFilters()
    if filter_form.is_valid():
        data = filter_form.cleaned_data
        filters = selectors.ItemFilters(
            status=data["status"],
            flag=data["flag"],
            section=data["section"].pk if data["section"] else None,
            owner=data["owner"].pk if data["owner"] else None,
        )
    page = selectors.assessment_page(assessment=assessment, filters=filters)
    context = {
        "assessment": assessment,
        "page": page,
        "filter_form": filter_form,
        "bulk_form": bulk_form or BulkStatusForm(),
        "changes": selectors.recent_changes(assessment=assessment),
        "may_change": request.user.has_perm(CHANGE_ITEM),
        "query": query_string(filter_form),
    }
    return render(request, "controls/assessment_detail.html", context, status=status)


@require_GET
@required(VIEW_ASSESSMENT)
def assessment_detail(request, pk: int):
    """The assessment: scores per framework and section, the requirements by section with flags, filters, history."""
    return _assessment_page(request, selectors.assessment_for_user(user=request.user, pk=pk))


@require_POST
@required(CHANGE_ITEM)
def assessment_bulk_update(request, pk: int):
    """Set one status on the selected requirements (not applicable needs a justification)."""
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    form = BulkStatusForm(request.POST, item_ids=assessment.items.values_list("pk", flat=True))
    if form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.bulk_update_status(
                actor=request.user,
                assessment=assessment,
                item_ids=data["items"],
                status=data["status"],
                justification=data["justification"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{changed} requirement{'s' if changed != 1 else ''} updated.")
            back = reverse("controls:assessment_detail", kwargs={"pk": assessment.pk})
            query = request.POST.get("filters", "")
            return redirect(f"{back}?{query}" if query else back)
    messages.error(request, "Nothing was updated: " + " ".join(message for messages_ in form.errors.values() for message in messages_))
    return _assessment_page(request, assessment, bulk_form=form, status=400)


@require_http_methods(["GET", "POST"])
@required(VIEW_ASSESSMENT)
def item_detail(request, pk: int, item_pk: int):
    """One requirement of an assessment: its guidance, status, justification, owner, due date, notes and history."""
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    item = selectors.item_for_user(user=request.user, assessment=assessment, pk=item_pk)
    may_change = request.user.has_perm(CHANGE_ITEM)
    initial = {
        "status": item.status,
        "justification": item.justification,
        "owner": item.owner,
        "due_date": item.due_date,
        "notes": item.notes,
    }
    form = ItemForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.update_requirement_assessment(actor=request.user, item=item, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{item.requirement.ref} saved.")
                return redirect("controls:item_detail", pk=assessment.pk, item_pk=item.pk)
    context = {
        "assessment": assessment,
        "item": item,
        "requirement": item.requirement,
        "form": form,
        "may_change": may_change,
        "history": selectors.item_history(item=item),
        "controls": item.requirement.controls.order_by("code"),
        "evidence": selectors.evidence_for_requirement(requirement=item.requirement),
    }
    return render(request, "controls/item_detail.html", context)
