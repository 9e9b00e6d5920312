"""The locations tab of a dataset, and adding, editing and removing its storage locations.

Pages show a location's redacted target only; its secrets go into the
services and never come back to a page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasets import permissions, selectors, services
from datasets.forms.common import add_service_errors
from datasets.forms.locations import KindForm, LocationForm
from datasets.models import LocationKind, StorageLocation
from datasets.views.catalog import changeable_dataset


@require_GET
def location_list(request, slug: str):
    """The locations tab: each store of the dataset, its redacted target and how subjects are erased there."""
    dataset = selectors.dataset_for_user(user=request.user, slug=slug)
    context = {
        "dataset": dataset,
        "locations": selectors.locations_for_dataset(dataset=dataset),
        "can_change": permissions.can_change_dataset(request.user, dataset),
    }
    return render(request, "datasets/location_list.html", context)


@require_http_methods(["GET", "POST"])
def location_create(request, slug: str):
    """Add a location: first the kind of store (``?kind=``), then that kind's settings."""
    dataset = changeable_dataset(request, slug)
    chooser = KindForm(request.GET if "kind" in request.GET else None)
    if not chooser.is_valid():
        return render(request, "datasets/location_kind.html", {"dataset": dataset, "chooser": chooser, "kinds": LocationKind.choices})
    kind = chooser.cleaned_data["kind"]
    form = LocationForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.add_storage_location(actor=request.user, dataset=dataset, kind=kind, **form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        except services.RegistryActionRefused as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Location {location.name} added.")
            return redirect("datasets:locations", slug=dataset.slug)
    context = {"dataset": dataset, "form": form, "kind_label": LocationKind(kind).label, "location": None}
    return render(request, "datasets/location_form.html", context)


def _changeable_location(request, slug: str, pk) -> StorageLocation:
    dataset = changeable_dataset(request, slug)
    location = selectors.location_for_user(user=request.user, pk=pk)
    if location.dataset_id != dataset.pk:
        raise Http404("No such storage location.")
    return location


@require_http_methods(["GET", "POST"])
def location_edit(request, slug: str, pk):
    """Change a location's settings; secret fields left empty keep the stored secret."""
    location = _changeable_location(request, slug, pk)
    form = LocationForm(request.POST or None, kind=location.kind, location=location)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_storage_location(actor=request.user, location=location, changes=form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        except services.RegistryActionRefused as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Location {form.cleaned_data['name'] or location.name} saved.")
            return redirect("datasets:locations", slug=slug)
    context = {
        "dataset": location.dataset,
        "form": form,
        "kind_label": location.get_kind_display(),
        "location": location,
    }
    return render(request, "datasets/location_form.html", context)


@require_POST
def location_delete(request, slug: str, pk):
    """Remove a location from the registry (refused while share links or erasure steps point at it)."""
    location = _changeable_location(request, slug, pk)
    try:
        services.remove_storage_location(actor=request.user, location=location)
    except services.RegistryActionRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Location {location.name} removed.")
    return redirect("datasets:locations", slug=slug)


@require_POST
def location_test(request, slug: str, pk):
    """Test a location's connection: search the store for a made-up subject and say whether it worked."""
    location = _changeable_location(request, slug, pk)
    report = services.test_location_connection(actor=request.user, location=location)
    if report.ok:
        messages.success(request, f"Location {location.name}: the connection works. {report.message}")
    else:
        messages.error(request, f"Location {location.name}: the connection failed. {report.message}")
    return redirect("datasets:locations", slug=slug)
