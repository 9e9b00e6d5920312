"""The dataset pages: the list, creating and editing, the overview tab, archiving, access grants, history."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance.audit import selectors as audit_selectors
from datasets import permissions, selectors, services
from datasets.forms.catalog import (
    DatasetFilterForm,
    DatasetForm,
    GrantForm,
    HistoryPageForm,
    ReasonForm,
    RevokeForm,
)
from datasets.forms.common import add_service_errors
from datasets.models import DataCategory, Dataset, LawfulBasis, Regulation

DATASETS_PER_PAGE = 50
HISTORY_PAGE_SIZE = 50
# Column headings that sort the list, and the key of DATASET_SORTS each one uses.
SORTABLE_COLUMNS = {"name": "Name", "owner": "Owner", "sensitivity": "Sensitivity", "retention": "Retention", "updated": "Updated"}


@dataclass(frozen=True)
class DatasetRow:
    """A dataset as the pages show it: code lists as labels, and the gaps a DPO would chase."""

    dataset: Dataset
    categories: list[str]
    regulations: list[str]
    lawful_bases: list[str]
    gaps: list[str]


def gaps_of(dataset: Dataset) -> list[str]:
    """Return what the dataset lacks, in the words of the list's badges (the list's "missing" filters)."""
    gaps = []
    if dataset.owner_id is None:
        gaps.append("no owner")
    if dataset.retention_days is None:
        gaps.append("no retention")
    if not dataset.lawful_bases:
        gaps.append("no lawful basis")
    if not dataset.encryption_at_rest or not dataset.encryption_in_transit:
        gaps.append("not encrypted")
    return gaps


def row_for(dataset: Dataset) -> DatasetRow:
    return DatasetRow(
        dataset=dataset,
        categories=[DataCategory(code).label for code in dataset.data_categories],
        regulations=[Regulation(code).label for code in dataset.regulations],
        lawful_bases=[LawfulBasis(code).label for code in dataset.lawful_bases],
        gaps=gaps_of(dataset),
    )


def require_browse(user) -> None:
    """Refuse (403) users who may not open the dataset pages at all (employees, ML engineers)."""
    if not permissions.can_browse_datasets(user):
        raise PermissionDenied("The dataset registry is for data stewards, the DPO, compliance managers and auditors.")


def changeable_dataset(request, slug: str) -> Dataset:
    """Return dataset ``slug`` if the user may edit it; 404 when they cannot see it, 403 when they only see it."""
    dataset = selectors.dataset_for_user(user=request.user, slug=slug)
    if not permissions.can_change_dataset(request.user, dataset):
        raise PermissionDenied(f"You may not edit dataset {dataset.slug!r}.")
    return dataset


def _sort_headings(form: DatasetFilterForm, current: str) -> list[dict]:
    base = form.query(sort=False)
    headings = []
    for key, label in SORTABLE_COLUMNS.items():
        direction = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        target = f"-{key}" if current == key else key
        headings.append(
            {"label": label, "url": f"?{base}&sort={target}" if base else f"?sort={target}", "direction": direction}
        )
    return headings


@require_GET
def dataset_list(request):
    """The datasets the user may see: searched, filtered, sorted by column and 50 to a page, gaps flagged."""
    require_browse(request.user)
    form = DatasetFilterForm(request.GET)
    context = {"form": form, "page": None, "can_add": request.user.has_perm("datasets.add_dataset")}
    if form.is_valid():
        filters = form.filters()
        datasets = selectors.datasets_for_user(user=request.user, filters=filters)
        page = Paginator(datasets, DATASETS_PER_PAGE).get_page(request.GET.get("page"))
        context |= {
            "page": page,
            "rows": [row_for(dataset) for dataset in page],
            "query": form.query(),
            "headings": _sort_headings(form, filters.sort),
        }
    return render(request, "datasets/dataset_list.html", context)


@require_http_methods(["GET", "POST"])
def dataset_create(request):
    """Register a dataset; a steward who names no owner owns it."""
    if not request.user.has_perm("datasets.add_dataset"):
        raise PermissionDenied("You may not register datasets.")
    form = DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = services.create_dataset(actor=request.user, **form.create_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Dataset {dataset.name} registered.")
            return redirect("datasets:detail", slug=dataset.slug)
    return render(request, "datasets/dataset_form.html", {"form": form, "dataset": None})


@require_http_methods(["GET", "POST"])
def dataset_edit(request, slug: str):
    """Change a dataset's attributes (its slug is permanent)."""
    dataset = changeable_dataset(request, slug)
    form = DatasetForm(request.POST or None, dataset=dataset)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.update_dataset(actor=request.user, dataset=dataset, changes=form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if saved.updated_at == dataset.updated_at:
                messages.info(request, "Nothing changed.")
            else:
                messages.success(request, f"Dataset {saved.name} saved.")
            return redirect("datasets:detail", slug=dataset.slug)
    return render(request, "datasets/dataset_form.html", {"form": form, "dataset": dataset})


@require_GET
def dataset_detail(request, slug: str):
    """The overview tab: every attribute by theme, the privacy budget, the owner and who else has access."""
    dataset = selectors.dataset_for_user(user=request.user, slug=slug)
    can_manage_access = permissions.can_manage_dataset_access(request.user, dataset)
    context = {
        "dataset": dataset,
        "row": row_for(dataset),
        "ledger": selectors.privacy_budget_ledger(dataset=dataset),
        "grants": selectors.dataset_grants(dataset=dataset),
        "can_change": permissions.can_change_dataset(request.user, dataset),
        "can_manage_access": can_manage_access,
        "grant_form": GrantForm() if can_manage_access else None,
        "reason_form": ReasonForm(),
    }
    return render(request, "datasets/dataset_detail.html", context)


def _change_status(request, slug: str, service, done: str):
    dataset = changeable_dataset(request, slug)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the reason under 2,000 characters.")
        return redirect("datasets:detail", slug=dataset.slug)
    try:
        service(actor=request.user, dataset=dataset, reason=form.cleaned_data["reason"])
    except services.RegistryActionRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(name=dataset.name))
    return redirect("datasets:detail", slug=dataset.slug)


@require_POST
def dataset_archive(request, slug: str):
    """Archive a dataset: kept for the record, closed to new locations, versions and share links."""
    return _change_status(
        request,
        slug,
        services.archive_dataset,
        "Dataset {name} archived: it stays in the registry, closed to new locations, versions and share links.",
    )


@require_POST
def dataset_restore(request, slug: str):
    """Make an archived dataset active again."""
    return _change_status(request, slug, services.restore_dataset, "Dataset {name} is active again.")


def _access_dataset(request, slug: str) -> Dataset:
    dataset = selectors.dataset_for_user(user=request.user, slug=slug)
    if not permissions.can_manage_dataset_access(request.user, dataset):
        raise PermissionDenied(f"You may not change access to dataset {dataset.slug!r}.")
    return dataset


def _access_url(dataset: Dataset) -> str:
    return reverse("datasets:detail", kwargs={"slug": dataset.slug}) + "#access"


def _change_access(request, slug: str, form_class, change):
    """Check the POSTed ``form_class``, then ``change(dataset, cleaned_data)``, which returns
    ``(changed, message if changed, message if not)``; come back to the access panel with the outcome."""
    dataset = _access_dataset(request, slug)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_access_url(dataset))
    try:
        changed, done, already = change(dataset, form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.RegistryActionRefused as error:
        messages.error(request, error.message)
    else:
        if changed:
            messages.success(request, done)
        else:
            messages.info(request, already)
    return redirect(_access_url(dataset))


@require_POST
def access_grant(request, slug: str):
    """Let a data steward see, or also edit, the dataset (the DPO, or the dataset's owner)."""

    def grant(dataset, data):
        steward, level = data["user"], data["level"]
        changed = services.grant_dataset_access(actor=request.user, dataset=dataset, user=steward, level=level)
        what = "see and edit" if level == "change" else "see"
        name = steward.get_username()
        return changed, f"{name} may now {what} this dataset.", f"{name} could already {what} this dataset."

    return _change_access(request, slug, GrantForm, grant)


@require_POST
def access_revoke(request, slug: str):
    """Take a steward's access to the dataset away (never the owner's)."""

    def revoke(dataset, data):
        changed = services.revoke_dataset_access(actor=request.user, dataset=dataset, user=data["user"])
        name = data["user"].get_username()
        return changed, f"{name} no longer has access to this dataset.", f"{name} had no access to this dataset."

    return _change_access(request, slug, RevokeForm, revoke)


@require_GET
def dataset_history(request, slug: str):
    """The history tab: the dataset's audit events, newest first, a page at a time."""
    dataset = selectors.dataset_for_user(user=request.user, slug=slug)
    form = HistoryPageForm(request.GET)
    page = None
    if form.is_valid():
        page = audit_selectors.events_for_target(
            user=request.user,
            target_type=Dataset._meta.label_lower,
            target_id=dataset.pk,
            limit=HISTORY_PAGE_SIZE,
            before=form.cleaned_data["before"],
        )
    return render(request, "datasets/dataset_history.html", {"dataset": dataset, "form": form, "page": page})
