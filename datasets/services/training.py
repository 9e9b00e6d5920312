"""Writes about ML models and training runs: registration, privacy budgets, erasure flags and their resolution."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import get_perms

from compliance.accounts.roles import Role
from compliance.audit.services import record_event
from datasets import permissions
from datasets.models import (
    Dataset,
    DatasetVersion,
    DeploymentStatus,
    ErasureStatus,
    MLModel,
    PrivacyBudgetOverride,
    PrivacyTechnique,
    Resolution,
    RunStatus,
    TrainingRun,
)
from datasets.permissions import MODEL_OBJECT_PERMISSIONS
from datasets.selectors import epsilon_spent
from datasets.services.common import (
    FieldErrors,
    clean_choice,
    clean_number,
    clean_slug,
    audited_changes,
    clean_text,
    format_number,
    require_role,
    save_values,
    unique_slug,
)
from datasets.services.errors import PrivacyBudgetExceeded, RegistryActionRefused

# ε figures are floats: a sum landing a rounding error above the budget is not over it.
EPSILON_TOLERANCE = 1e-9
MODEL_EDITABLE_FIELDS = ("name", "owner", "intended_use", "deployment_status")


def _clean_model_owner(owner):
    if owner is None:
        return None
    require_role(owner, Role.ML_ENGINEER, message=f"The owner must be an ML engineer; {owner} is not.")
    return owner


def _clean_model_values(values: dict[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned = {
        "name": errors.check("name", lambda: clean_text(values["name"], label="model's name", max_length=200, required=True), ""),
        "owner": errors.check("owner", lambda: _clean_model_owner(values["owner"])),
        "intended_use": errors.check(
            "intended_use", lambda: clean_text(values["intended_use"], label="intended use", max_length=20_000), ""
        ),
        "deployment_status": errors.check(
            "deployment_status",
            lambda: clean_choice(values["deployment_status"], DeploymentStatus, label="deployment status"),
        ),
    }
    errors.raise_if_any()
    return cleaned


def _model_audit(values: dict[str, Any]) -> dict[str, Any]:
    payload = {name: value for name, value in values.items() if name not in ("owner", "intended_use")}
    payload["owner"] = getattr(values.get("owner"), "pk", None)
    return payload


@transaction.atomic
def create_model(
    *,
    actor,
    name: str,
    slug: str = "",
    owner=None,
    intended_use: str = "",
    deployment_status: str = DeploymentStatus.DEVELOPMENT,
) -> MLModel:
    """Register an ML model and grant it to its owner (by default the ML engineer registering it)."""
    permissions.require_global(actor, "datasets.add_mlmodel", "You may not register ML models.")
    if owner is None and permissions.is_person(actor) and actor.has_role(Role.ML_ENGINEER):
        owner = actor
    errors = FieldErrors()
    cleaned_slug = errors.check("slug", lambda: clean_slug(slug, model=MLModel, label="model"), "") if slug else ""
    cleaned = errors.collect(
        lambda: _clean_model_values(
            {"name": name, "owner": owner, "intended_use": intended_use, "deployment_status": deployment_status}
        )
    )
    errors.raise_if_any()
    model = MLModel.objects.create(slug=cleaned_slug or unique_slug(cleaned["name"], model=MLModel, fallback="model"), **cleaned)
    if model.owner is not None:
        permissions.give_object_permissions(model.owner, model, MODEL_OBJECT_PERMISSIONS)
    record_event(actor=actor, action="ml_model.created", target=model, data={"slug": model.slug, **_model_audit(cleaned)})
    return model


@transaction.atomic
def update_model(*, actor, model: MLModel, changes: Mapping[str, Any]) -> MLModel:
    """Change a model's name, owner, intended use or deployment status; a new owner is granted the model."""
    unknown = set(changes) - set(MODEL_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"These model fields cannot be edited: {', '.join(sorted(unknown))}.")
    permissions.require(actor, lambda user: permissions.can_change_model(user, model), f"You may not edit model {model.slug!r}.")
    model = MLModel.objects.select_for_update(of=("self",)).select_related("owner").get(pk=model.pk)
    before = {name: getattr(model, name) for name in MODEL_EDITABLE_FIELDS}
    cleaned = _clean_model_values({**before, **changes})
    changed = audited_changes(before, cleaned, summarise=_model_audit, long_text="intended_use")
    if not changed:
        return model
    save_values(model, cleaned)
    if before["owner"] != cleaned["owner"] and cleaned["owner"] is not None:
        permissions.give_object_permissions(cleaned["owner"], model, MODEL_OBJECT_PERMISSIONS)
    record_event(actor=actor, action="ml_model.updated", target=model, data={"slug": model.slug, "changes": changed})
    return model


@transaction.atomic
def grant_model_access(*, actor, model: MLModel, user) -> bool:
    """Let an ML engineer see the model and register its runs; return whether anything changed."""
    permissions.require(
        actor,
        lambda person: permissions.can_manage_model_access(person, model),
        f"You may not grant access to model {model.slug!r}.",
    )
    require_role(user, Role.ML_ENGINEER, message=f"Models are granted to ML engineers; {user} is not one.")
    if set(MODEL_OBJECT_PERMISSIONS) <= set(get_perms(user, model)):
        return False
    permissions.give_object_permissions(user, model, MODEL_OBJECT_PERMISSIONS)
    record_event(actor=actor, action="ml_model.access_granted", target=model, data={"slug": model.slug, "user": user.pk})
    return True


@transaction.atomic
def revoke_model_access(*, actor, model: MLModel, user) -> bool:
    """Take an engineer's access to the model away (not the owner's); return whether they had any."""
    permissions.require(
        actor,
        lambda person: permissions.can_manage_model_access(person, model),
        f"You may not change access to model {model.slug!r}.",
    )
    if model.owner_id == user.pk:
        raise RegistryActionRefused(f"{user} owns model {model.slug!r}: choose another owner before taking their access away.")
    if not get_perms(user, model):
        return False
    permissions.take_object_permissions(user, model, MODEL_OBJECT_PERMISSIONS)
    record_event(actor=actor, action="ml_model.access_revoked", target=model, data={"slug": model.slug, "user": user.pk})
    return True


# --- Training runs ------------------------------------------------------------------


def _clean_privacy(technique, epsilon, delta, accountant, k, errors: FieldErrors) -> dict[str, Any]:
    technique = errors.check(
        "privacy_technique", lambda: clean_choice(technique, PrivacyTechnique, label="privacy technique"), PrivacyTechnique.NONE
    )
    privacy = {"privacy_technique": technique, "epsilon": None, "delta": None, "accountant": "", "k_anonymity_k": None}
    if technique == PrivacyTechnique.DP_SGD:
        privacy["epsilon"] = errors.check("epsilon", lambda: clean_number(epsilon, label="ε", above=0))
        if privacy["epsilon"] is None and "epsilon" not in errors.by_field:
            errors.add("epsilon", "DP-SGD needs the run's ε (a number above 0).")
        privacy["delta"] = errors.check("delta", lambda: clean_number(delta, label="δ", minimum=0, below=1))
        privacy["accountant"] = errors.check("accountant", lambda: clean_text(accountant, label="accountant", max_length=100), "")
    elif epsilon not in (None, "") or delta not in (None, "") or (accountant or "").strip():
        errors.add("epsilon", "ε, δ and the accountant apply only to DP-SGD.")
    if technique == PrivacyTechnique.K_ANONYMISED:
        privacy["k_anonymity_k"] = errors.check("k_anonymity_k", lambda: clean_number(k, label="k", minimum=2, whole=True))
        if privacy["k_anonymity_k"] is None and "k_anonymity_k" not in errors.by_field:
            errors.add("k_anonymity_k", "Training on k-anonymised data needs k (2 or more).")
    elif k not in (None, ""):
        errors.add("k_anonymity_k", "k applies only to training on k-anonymised data.")
    return privacy


def _check_budgets(*, model: MLModel, epsilon: float, datasets: list[Dataset]) -> tuple[list[dict], list[PrivacyBudgetOverride]]:
    """Return the budget figures per dataset and the overrides to consume; raise PrivacyBudgetExceeded."""
    spent = epsilon_spent(dataset_ids=[dataset.pk for dataset in datasets])
    figures, overrides, refusals = [], [], []
    for dataset in datasets:
        if dataset.privacy_budget_epsilon is None:
            continue
        before = spent.get(dataset.pk, 0.0)
        after = before + epsilon
        budget = dataset.privacy_budget_epsilon
        figure = {"dataset": dataset.slug, "budget": budget, "spent_before": before, "spent_after": after, "override": None}
        if after > budget + EPSILON_TOLERANCE:
            override = (
                PrivacyBudgetOverride.objects.select_for_update()
                .filter(dataset=dataset, model=model, run__isnull=True, epsilon_over__gte=after - budget - EPSILON_TOLERANCE)
                .order_by("created_at", "pk")
                .first()
            )
            if override is None:
                refusals.append(
                    f"This run's ε {format_number(epsilon)} would bring dataset {dataset.slug!r} to"
                    f" {format_number(after)} of its {format_number(budget)} budget."
                )
                continue
            figure["override"] = override.pk
            overrides.append(override)
        figures.append(figure)
    if refusals:
        raise PrivacyBudgetExceeded(" ".join(refusals))
    return figures, overrides


@transaction.atomic
def register_training_run(
    *,
    actor,
    model: MLModel,
    dataset_versions: Sequence[DatasetVersion],
    started_at: datetime,
    finished_at: datetime | None = None,
    code_reference: str = "",
    metrics: dict | None = None,
    status: str = RunStatus.RUNNING,
    privacy_technique: str = PrivacyTechnique.NONE,
    epsilon: float | None = None,
    delta: float | None = None,
    accountant: str = "",
    k_anonymity_k: int | None = None,
) -> TrainingRun:
    """Record a training run of ``model`` on ``dataset_versions``.

    Needs change permission on the model (its owner and the engineers it is
    granted to). A DP-SGD run spends its ε on every dataset it used: when that
    would take a dataset past its privacy budget the run is refused with the
    figures (PrivacyBudgetExceeded), unless the DPO recorded an override for
    this model and dataset large enough, which the run then uses up.
    """
    permissions.require(
        actor, lambda user: permissions.can_change_model(user, model), f"You may not register runs of model {model.slug!r}."
    )
    errors = FieldErrors()
    versions = list({version.pk: version for version in dataset_versions}.values())
    if not versions:
        errors.add("dataset_versions", "Name at least one dataset version the run used.")
    if not isinstance(started_at, datetime) or timezone.is_naive(started_at):
        errors.add("started_at", "Give the start as a date and time with its time zone.")
    elif finished_at is not None and (timezone.is_naive(finished_at) or finished_at < started_at):
        errors.add("finished_at", "The run cannot finish before it started.")
    status = errors.check("status", lambda: clean_choice(status, RunStatus, label="status"), RunStatus.RUNNING)
    code_reference = errors.check("code_reference", lambda: clean_text(code_reference, label="code reference", max_length=500), "")
    if metrics is not None and not isinstance(metrics, dict):
        errors.add("metrics", "Give the metrics as a JSON object, for example {\"accuracy\": 0.91}.")
    privacy = _clean_privacy(privacy_technique, epsilon, delta, accountant, k_anonymity_k, errors)
    errors.raise_if_any()

    figures, overrides = [], []
    if privacy["privacy_technique"] == PrivacyTechnique.DP_SGD:
        # Locking the datasets serialises registrations against the same budgets.
        datasets = list(
            Dataset.objects.select_for_update().filter(pk__in={version.dataset_id for version in versions}).order_by("pk")
        )
        figures, overrides = _check_budgets(model=model, epsilon=privacy["epsilon"], datasets=datasets)

    run = TrainingRun.objects.create(
        model=model,
        started_at=started_at,
        finished_at=finished_at,
        code_reference=code_reference,
        metrics=metrics or {},
        status=status,
        registered_by=actor if permissions.is_person(actor) else None,
        **privacy,
    )
    run.dataset_versions.set(versions)
    now = timezone.now()
    for override in overrides:
        override.run = run
        override.used_at = now
        override.save(update_fields=["run", "used_at"])
    record_event(
        actor=actor,
        action="training_run.registered",
        target=run,
        data={
            "model": model.slug,
            "dataset_versions": sorted(version.pk for version in versions),
            "status": status,
            **{name: value for name, value in privacy.items() if name != "accountant"},
            "budgets": figures,
        },
    )
    return run


@transaction.atomic
def finish_training_run(
    *, actor, run: TrainingRun, status: str, finished_at: datetime | None = None, metrics: dict | None = None
) -> TrainingRun:
    """Record that a running run completed or failed, with its final metrics."""
    permissions.require(
        actor, lambda user: permissions.can_change_model(user, run.model), f"You may not change runs of model {run.model.slug!r}."
    )
    run = TrainingRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.RUNNING:
        raise RegistryActionRefused(f"Run #{run.pk} has already finished ({run.get_status_display().lower()}).")
    if status not in (RunStatus.COMPLETED, RunStatus.FAILED):
        raise ValidationError({"status": ["A run finishes as completed or failed."]})
    finished_at = finished_at or timezone.now()
    if finished_at < run.started_at:
        raise ValidationError({"finished_at": ["The run cannot finish before it started."]})
    if metrics is not None and not isinstance(metrics, dict):
        raise ValidationError({"metrics": ["Give the metrics as a JSON object, for example {\"accuracy\": 0.91}."]})
    run.status = status
    run.finished_at = finished_at
    if metrics is not None:
        run.metrics = metrics
    run.save(update_fields=["status", "finished_at", "metrics"])
    record_event(actor=actor, action="training_run.finished", target=run, data={"status": status})
    return run


@transaction.atomic
def flag_training_run(*, actor, run: TrainingRun, status: str, erasure_reference: str) -> TrainingRun:
    """Flag the run as affected (or possibly affected) by an erasure; called by the erasure workflow.

    Flagging again for the same erasure changes nothing. A run already affected
    stays affected when a later erasure only possibly affects it; a resolved
    run is flagged afresh.
    """
    if status not in (ErasureStatus.AFFECTED, ErasureStatus.POSSIBLY_AFFECTED):
        raise ValueError(f"A run is flagged affected or possibly_affected, not {status!r}.")
    reference = clean_text(erasure_reference, label="erasure request reference", max_length=200, required=True)
    run = TrainingRun.objects.select_for_update().select_related("model").get(pk=run.pk)
    if run.is_flagged and reference in run.erasure_references:
        return run
    previous = run.erasure_status
    if run.erasure_status == ErasureStatus.RESOLVED:
        run.erasure_references = []
        run.resolution, run.resolved_on_version, run.resolution_reason = "", None, ""
        run.resolved_by, run.resolved_at = None, None
    if run.erasure_status != ErasureStatus.AFFECTED:
        run.erasure_status = status
    run.erasure_references = [*run.erasure_references, reference]
    run.flagged_at = timezone.now()
    run.save()
    record_event(
        actor=actor,
        action="training_run.flagged",
        target=run,
        data={"model": run.model.slug, "from": previous, "to": run.erasure_status, "flagged_as": status, "erasure": reference},
    )
    return run


@transaction.atomic
def resolve_training_run(
    *, actor, run: TrainingRun, resolution: str, version: DatasetVersion | None = None, reason: str = ""
) -> TrainingRun:
    """Close a run's erasure flag: retrained on ``version``, unlearning applied, or exempt with ``reason``.

    Allowed to those who may change the model (its owner and granted
    engineers), and only while the run is flagged.
    """
    permissions.require(
        actor,
        lambda user: permissions.can_change_model(user, run.model),
        f"You may not resolve runs of model {run.model.slug!r}.",
    )
    run = TrainingRun.objects.select_for_update().select_related("model").get(pk=run.pk)
    if run.erasure_status == ErasureStatus.NONE:
        raise RegistryActionRefused(f"Run #{run.pk} is not flagged by an erasure, so there is nothing to resolve.")
    if run.erasure_status == ErasureStatus.RESOLVED:
        when = timezone.localtime(run.resolved_at).strftime("%d %B %Y")
        raise RegistryActionRefused(f"Run #{run.pk} was already resolved on {when} ({run.get_resolution_display().lower()}).")
    if resolution not in Resolution.values:
        raise ValidationError({"resolution": [f"Choose how the flag was resolved: {', '.join(Resolution.values)}."]})
    reason = clean_text(reason, label="reason", max_length=20_000)
    if resolution == Resolution.RETRAINED:
        if version is None:
            raise ValidationError({"version": ["Say which dataset version the model was retrained on."]})
        if run.dataset_versions.filter(pk=version.pk).exists():
            raise ValidationError(
                {"version": [f"{version} is a version this run already used: retraining on it removes nothing."]}
            )
    elif version is not None:
        raise ValidationError({"version": ["Only a retraining names a dataset version."]})
    if resolution == Resolution.EXEMPT and not reason:
        raise ValidationError(
            {"reason": ["Give the reason for the exemption, for example differential privacy with ε below the organisation's threshold."]}
        )
    previous = run.erasure_status
    run.erasure_status = ErasureStatus.RESOLVED
    run.resolution = resolution
    run.resolved_on_version = version
    run.resolution_reason = reason
    run.resolved_by = actor if permissions.is_person(actor) else None
    run.resolved_at = timezone.now()
    run.save()
    record_event(
        actor=actor,
        action="training_run.resolved",
        target=run,
        data={
            "model": run.model.slug,
            "from": previous,
            "resolution": resolution,
            "version": version.pk if version is not None else None,
            "erasures": run.erasure_references,
            "reason": reason,
        },
    )
    return run


@transaction.atomic
def record_budget_override(*, actor, dataset: Dataset, model: MLModel, epsilon_over: float, reason: str) -> PrivacyBudgetOverride:
    """Let the next run of ``model`` take ``dataset`` up to ``epsilon_over`` past its ε budget (DPO only)."""
    if not permissions.is_person(actor) or not actor.has_perm("datasets.add_privacybudgetoverride"):
        raise RegistryActionRefused("Only a DPO can record a privacy-budget override.")
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    errors = FieldErrors()
    if dataset.privacy_budget_epsilon is None:
        errors.add("dataset", f"Dataset {dataset.slug!r} has no privacy budget to exceed.")
    over = errors.check("epsilon_over", lambda: clean_number(epsilon_over, label="ε over budget", above=0))
    if over is None and "epsilon_over" not in errors.by_field:
        errors.add("epsilon_over", "Say how far past the budget the run may go (an ε above 0).")
    reason = errors.check("reason", lambda: clean_text(reason, label="reason", max_length=20_000), "")
    if not reason and "reason" not in errors.by_field:
        errors.add("reason", "Give the reason for exceeding the privacy budget.")
    errors.raise_if_any()
    override = PrivacyBudgetOverride.objects.create(
        dataset=dataset, model=model, epsilon_over=over, reason=reason, created_by=actor
    )
    record_event(
        actor=actor,
        action="privacy_budget.override_recorded",
        target=override,
        data={
            "dataset": dataset.slug,
            "model": model.slug,
            "budget": dataset.privacy_budget_epsilon,
            "epsilon_over": over,
            "reason": reason,
        },
    )
    return override
