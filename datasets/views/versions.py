"""The "Versions & lineage" tab of a dataset, version pages, DVC import, membership filters and lineage SVG."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasets import permissions, selectors, services
from datasets.forms.common import call_service
from datasets.forms.versions import DvcImportForm, MembershipAttachForm, MembershipCheckForm, VersionForm
from datasets.lineage import LineageNode, render_svg
from datasets.templatetags.registry_figures import percentage

VERSIONS_PER_PAGE = 50
# The services name the list of identifiers subject_keys; the forms take it as a file.
SUBJECT_KEY_ERRORS = {"subject_keys": "subject_keys_file"}


def _version_href(node: LineageNode) -> str:
    if not node.dataset_slug:
        return ""
    return reverse("versions:detail", kwargs={"dataset_slug": node.dataset_slug, "label": node.label})


def _can_change(user, dataset) -> bool:
    return permissions.can_change_dataset(user, dataset) and not dataset.is_archived


def _require_change(user, dataset) -> None:
    permissions.require(user, lambda person: permissions.can_change_dataset(person, dataset), f"You may not edit dataset {dataset.slug!r}.")


@require_GET
def version_list(request, dataset_slug: str):
    """The dataset's versions, newest first, and the lineage of all of them."""
    dataset = selectors.dataset_for_user(user=request.user, slug=dataset_slug)
    page = Paginator(selectors.versions_for_dataset(dataset=dataset), VERSIONS_PER_PAGE).get_page(request.GET.get("page"))
    graph = selectors.dataset_lineage_graph(dataset=dataset)
    lineage, visible = selectors.lineage_for_user(graph, user=request.user) if graph is not None else (None, set())
    parent_slugs = {edge.parent.dataset.slug for version in page for edge in version.parent_edges.all()}
    context = {
        "dataset": dataset,
        "page": page,
        "lineage_svg": render_svg(lineage, href_for=_version_href) if lineage is not None else "",
        "lineage_truncated": lineage is not None and lineage.truncated,
        "visible_slugs": visible | selectors.visible_dataset_slugs(user=request.user, slugs=parent_slugs - visible),
        "can_change": _can_change(request.user, dataset),
    }
    return render(request, "datasets/version_list.html", context)


@require_http_methods(["GET", "POST"])
def version_create(request, dataset_slug: str):
    """Register a version by hand, with its parents and, optionally, the subjects it holds."""
    dataset = selectors.dataset_for_user(user=request.user, slug=dataset_slug)
    _require_change(request.user, dataset)
    form = VersionForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        version = call_service(
            form, services.create_version, renamed=SUBJECT_KEY_ERRORS, actor=request.user, dataset=dataset, **form.service_arguments()
        )
        if version is not None:
            messages.success(request, f"Version {version.label} of {dataset.name} registered.")
            return redirect("versions:detail", dataset_slug=dataset.slug, label=version.label)
    return render(request, "datasets/version_create.html", {"dataset": dataset, "form": form})


@require_http_methods(["GET", "POST"])
def version_import_dvc(request, dataset_slug: str):
    """Register a version from an uploaded .dvc file or dvc.lock."""
    dataset = selectors.dataset_for_user(user=request.user, slug=dataset_slug)
    _require_change(request.user, dataset)
    form = DvcImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        version = call_service(form, services.import_dvc_version, actor=request.user, dataset=dataset, **form.service_arguments())
        if version is not None:
            messages.success(request, f"Version {version.label} imported from {version.source_path}.")
            return redirect("versions:detail", dataset_slug=dataset.slug, label=version.label)
    return render(request, "datasets/version_import_dvc.html", {"dataset": dataset, "form": form})


def _detail(request, version, *, check_form=None, attach_form=None):
    """Render the version page, with the given forms (bound ones show their errors)."""
    dataset = version.dataset
    graph, visible = selectors.lineage_for_user(selectors.lineage_graph(version=version), user=request.user)
    membership = getattr(version, "membership_filter", None)
    runs = selectors.with_model_visibility(selectors.runs_using_versions(versions=[version]), user=request.user)
    can_change = _can_change(request.user, dataset)
    context = {
        "dataset": dataset,
        "version": version,
        "parents": selectors.parents_of(version=version),
        "children": selectors.children_of(version=version),
        "visible_slugs": visible,
        "lineage_svg": render_svg(graph, href_for=_version_href),
        "lineage_truncated": graph.truncated,
        "membership": membership,
        "check_form": check_form or (MembershipCheckForm(membership=membership) if membership else None),
        "attach_form": attach_form or (MembershipAttachForm() if membership is None and can_change else None),
        "runs": runs,
        "can_change": can_change,
    }
    return render(request, "datasets/version_detail.html", context)


@require_GET
def version_detail(request, dataset_slug: str, label: str):
    """One version: facts, parents and children, lineage, membership filter, and the runs that used it."""
    version = selectors.version_for_user(user=request.user, slug=dataset_slug, label=label)
    return _detail(request, version)


@require_POST
def membership_check(request, dataset_slug: str, label: str):
    """Answer "was this subject in this version?" from the version's filter; audited without the identifier."""
    version = selectors.version_for_user(user=request.user, slug=dataset_slug, label=label)
    membership = getattr(version, "membership_filter", None)
    form = MembershipCheckForm(request.POST, membership=membership)
    if form.is_valid():
        present = call_service(form, services.check_version_membership, actor=request.user, version=version, **form.cleaned_data)
        if present is not None:
            if present:
                messages.warning(
                    request, f"Possibly present (false-positive rate {percentage(membership.false_positive_rate)}) in {version}."
                )
            else:
                messages.success(request, f"Not present in {version}.")
            return redirect("versions:detail", dataset_slug=version.dataset.slug, label=version.label)
    return _detail(request, version, check_form=form)


@require_POST
def membership_attach(request, dataset_slug: str, label: str):
    """Build and attach the version's membership filter from an uploaded list of subject keys."""
    version = selectors.version_for_user(user=request.user, slug=dataset_slug, label=label)
    _require_change(request.user, version.dataset)
    form = MembershipAttachForm(request.POST, request.FILES)
    if form.is_valid():
        membership = call_service(
            form, services.attach_membership_filter, renamed=SUBJECT_KEY_ERRORS, actor=request.user, version=version, **form.subject_key_arguments()
        )
        if membership is not None:
            messages.success(
                request,
                f"Membership filter attached to {version}: {membership.expected_items:,} subjects,"
                f" false-positive rate {percentage(membership.false_positive_rate)}.",
            )
            return redirect("versions:detail", dataset_slug=version.dataset.slug, label=version.label)
    return _detail(request, version, attach_form=form)


@require_GET
def lineage_svg(request, dataset_slug: str, label: str):
    """The version's lineage as a standalone SVG image, for PDFs and direct links."""
    version = selectors.version_for_user(user=request.user, slug=dataset_slug, label=label)
    graph, _visible = selectors.lineage_for_user(selectors.lineage_graph(version=version), user=request.user)
    document = '<?xml version="1.0" encoding="UTF-8"?>\n' + render_svg(graph, href_for=_version_href)
    response = HttpResponse(document, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="lineage-{version.dataset.slug}-{version.label}.svg"'
    return response
