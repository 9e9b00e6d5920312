"""ML models and their training runs: lists, forms, erasure resolution, access grants and privacy-budget overrides."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datasets import permissions, selectors, services
from datasets.forms.common import add_service_errors, call_service
from datasets.forms.models import (
    AccessGrantForm,
    AccessRevokeForm,
    BudgetOverrideForm,
    MLModelForm,
    ModelFilterForm,
    RunFinishForm,
    RunResolveForm,
    TrainingRunForm,
)
from datasets.services import PrivacyBudgetExceeded, RegistryActionRefused
from datasets.templatetags.registry_figures import figure

PER_PAGE = 50
OVERRIDE_PERMISSION = "datasets.add_privacybudgetoverride"


def _require_change(user, model) -> None:
    permissions.require(user, lambda person: permissions.can_change_model(person, model), f"You may not change model {model.slug!r}.")


def _can_override(user) -> bool:
    return user.has_perm(OVERRIDE_PERMISSION)


# --- Models -------------------------------------------------------------------------------


@require_GET
def model_list(request):
    """The models the user may see, filtered, with their run and erasure-flag counts."""
    if not permissions.can_browse_models(request.user):
        raise PermissionDenied("You may not open the model list.")
    form = ModelFilterForm(request.GET or None)
    page = Paginator(selectors.models_for_user(user=request.user, filters=form.filters()), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_create": request.user.has_perm("datasets.add_mlmodel"),
    }
    return render(request, "datasets/models/model_list.html", context)


@require_http_methods(["GET", "POST"])
def model_create(request):
    """Register an ML model."""
    permissions.require_global(request.user, "datasets.add_mlmodel", "You may not register ML models.")
    form = MLModelForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        model = call_service(form, services.create_model, actor=request.user, **form.service_arguments())
        if model is not None:
            messages.success(request, f"Model {model.name} registered.")
            return redirect("models:detail", slug=model.slug)
    return render(request, "datasets/models/model_form.html", {"form": form, "model": None})


@require_http_methods(["GET", "POST"])
def model_edit(request, slug: str):
    """Change a model's name, owner, intended use or deployment status."""
    model = selectors.model_for_user(user=request.user, slug=slug)
    _require_change(request.user, model)
    initial = {name: getattr(model, name) for name in ("name", "owner", "intended_use", "deployment_status")}
    form = MLModelForm(request.POST or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        saved = call_service(form, services.update_model, actor=request.user, model=model, changes=form.changes())
        if saved is not None:
            messages.success(request, f"Model {saved.name} saved.")
            return redirect("models:detail", slug=saved.slug)
    return render(request, "datasets/models/model_form.html", {"form": form, "model": model})


def _model_detail(request, model, *, grant_form=None, override_form=None):
    """Render the model page, with the given forms (bound ones show their errors)."""
    user = request.user
    can_manage = permissions.can_manage_model_access(user, model)
    grants = selectors.model_grants(model=model) if can_manage else []
    context = {
        "model": model,
        "page": Paginator(selectors.runs_for_model(model=model), PER_PAGE).get_page(request.GET.get("page")),
        "can_change": permissions.can_change_model(user, model),
        "can_manage": can_manage,
        "grants": grants,
        "grant_form": grant_form or (AccessGrantForm(exclude=[grant.user for grant in grants]) if can_manage else None),
        "override_form": override_form or (BudgetOverrideForm(user=user) if _can_override(user) else None),
    }
    return render(request, "datasets/models/model_detail.html", context)


@require_GET
def model_detail(request, slug: str):
    """One model: its facts, its runs with their erasure flags, who may use it, and budget overrides for the DPO."""
    return _model_detail(request, selectors.model_for_user(user=request.user, slug=slug))


def _require_manage(user, model) -> None:
    permissions.require(
        user, lambda person: permissions.can_manage_model_access(person, model), f"You may not change access to model {model.slug!r}."
    )


@require_POST
def access_grant(request, slug: str):
    """Grant an ML engineer the model (its owner, or an administrator)."""
    model = selectors.model_for_user(user=request.user, slug=slug)
    _require_manage(request.user, model)
    form = AccessGrantForm(request.POST, exclude=[grant.user for grant in selectors.model_grants(model=model)])
    if form.is_valid():
        engineer = form.cleaned_data["user"]
        if call_service(form, services.grant_model_access, actor=request.user, model=model, user=engineer) is not None:
            messages.success(request, f"{engineer.get_username()} may now see {model.name} and register its runs.")
            return redirect("models:detail", slug=model.slug)
    return _model_detail(request, model, grant_form=form)


@require_POST
def access_revoke(request, slug: str):
    """Take an engineer's access to the model away (not the owner's)."""
    model = selectors.model_for_user(user=request.user, slug=slug)
    _require_manage(request.user, model)
    form = AccessRevokeForm(request.POST, grants=selectors.model_grants(model=model))
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("user", ["Choose whose access to take away."])))
        return redirect("models:detail", slug=model.slug)
    engineer = form.cleaned_data["user"]
    try:
        services.revoke_model_access(actor=request.user, model=model, user=engineer)
    except RegistryActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"{engineer.get_username()} no longer has access to {model.name}.")
    return redirect("models:detail", slug=model.slug)


@require_POST
def budget_override(request, slug: str):
    """Record a DPO's permission for the model's next run to take a dataset past its ε budget."""
    model = selectors.model_for_user(user=request.user, slug=slug)
    permissions.require_global(request.user, OVERRIDE_PERMISSION, "Only a DPO can record a privacy-budget override.")
    form = BudgetOverrideForm(request.POST, user=request.user)
    if form.is_valid():
        override = call_service(form, services.record_budget_override, actor=request.user, model=model, **form.cleaned_data)
        if override is not None:
            messages.success(
                request,
                f"Override recorded: the next run of {model.name} may take {override.dataset.name}"
                f" up to ε {figure(override.epsilon_over)} past its budget.",
            )
            return redirect("models:detail", slug=model.slug)
    return _model_detail(request, model, override_form=form)


# --- Training runs -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def run_create(request, slug: str):
    """Register a training run of the model; a run past a dataset's ε budget is refused with the figures."""
    model = selectors.model_for_user(user=request.user, slug=slug)
    _require_change(request.user, model)
    form = TrainingRunForm(request.POST or None, user=request.user, initial={"started_at": timezone.localtime().replace(second=0, microsecond=0)})
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            run = services.register_training_run(actor=request.user, model=model, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        except PrivacyBudgetExceeded as exceeded:
            refusal = exceeded.message
        except RegistryActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, f"Run #{run.pk} of {model.name} registered.")
            return redirect("models:run_detail", pk=run.pk)
    context = {
        "model": model,
        "form": form,
        "budget_refusal": refusal,
        "override_form": BudgetOverrideForm(user=request.user) if refusal and _can_override(request.user) else None,
    }
    return render(request, "datasets/models/run_create.html", context)


def _run_detail(request, run, *, finish_form=None, resolve_form=None):
    """Render the run page, with the given forms (bound ones show their errors)."""
    user = request.user
    can_change = permissions.can_change_model(user, run.model)
    versions = list(run.dataset_versions.all())
    context = {
        "run": run,
        "model": run.model,
        "versions": versions,
        "visible_slugs": selectors.visible_dataset_slugs(user=user, slugs={version.dataset.slug for version in versions}),
        "can_change": can_change,
        "finish_form": finish_form or (RunFinishForm() if can_change and run.status == "running" else None),
        "resolve_form": resolve_form or (RunResolveForm(user=user) if can_change and run.is_flagged else None),
    }
    return render(request, "datasets/models/run_detail.html", context)


@require_GET
def run_detail(request, pk: int):
    """One training run: its facts, the versions it used, and its erasure flag with the form that resolves it."""
    return _run_detail(request, selectors.run_for_user(user=request.user, pk=pk))


@require_POST
def run_finish(request, pk: int):
    """Record that a running run completed or failed."""
    run = selectors.run_for_user(user=request.user, pk=pk)
    _require_change(request.user, run.model)
    form = RunFinishForm(request.POST)
    if form.is_valid():
        finished = call_service(form, services.finish_training_run, actor=request.user, run=run, **form.cleaned_data)
        if finished is not None:
            messages.success(request, f"Run #{run.pk} recorded as {finished.get_status_display().lower()}.")
            return redirect("models:run_detail", pk=run.pk)
    return _run_detail(request, run, finish_form=form)


@require_POST
def run_resolve(request, pk: int):
    """Close the run's erasure flag: retrained, unlearning applied, or exempt with a reason."""
    run = selectors.run_for_user(user=request.user, pk=pk)
    _require_change(request.user, run.model)
    form = RunResolveForm(request.POST, user=request.user)
    if form.is_valid():
        resolved = call_service(form, services.resolve_training_run, actor=request.user, run=run, **form.service_arguments())
        if resolved is not None:
            messages.success(request, f"Run #{run.pk} resolved: {resolved.get_resolution_display().lower()}.")
            return redirect("models:run_detail", pk=run.pk)
    return _run_detail(request, run, resolve_form=form)


@require_GET
def dataset_runs(request, dataset_slug: str):
    """The "Training runs" tab of a dataset: the runs that used its versions, and its privacy-budget ledger."""
    dataset = selectors.dataset_for_user(user=request.user, slug=dataset_slug)
    runs = selectors.with_model_visibility(selectors.runs_for_dataset(dataset=dataset), user=request.user)
    context = {
        "dataset": dataset,
        "page": Paginator(runs, PER_PAGE).get_page(request.GET.get("page")),
        "ledger": selectors.privacy_budget_ledger(dataset=dataset),
    }
    return render(request, "datasets/models/dataset_runs.html", context)
