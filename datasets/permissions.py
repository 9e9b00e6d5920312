"""Who may do what in the registry: model-level role permissions, or object permissions per dataset and model.

DPO, compliance managers and auditors hold model-level view permissions and
see everything; stewards and engineers hold object permissions (django-guardian)
on the datasets and models granted to them. Services check these for signed-in
users; programs acting through the API are authorised by their key's scopes
before they reach a service.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm, remove_perm

from datasets.models import Dataset, MLModel

DATASET_OBJECT_PERMISSIONS = {"view": ("view_dataset",), "change": ("view_dataset", "change_dataset")}
MODEL_OBJECT_PERMISSIONS = ("view_mlmodel", "change_mlmodel")


def is_person(actor) -> bool:
    """Return whether ``actor`` is a signed-in user (not the system or an API key)."""
    return isinstance(actor, get_user_model()) and actor.is_authenticated


def has_perm_on(user, codename: str, obj) -> bool:
    """Return whether ``user`` holds ``datasets.<codename>`` for every object of the kind, or for ``obj``."""
    name = f"datasets.{codename}"
    return user.has_perm(name) or user.has_perm(name, obj)


def can_browse_datasets(user) -> bool:
    """Whether ``user`` may open the dataset list: readers of every dataset, and stewards (who register them)."""
    return user.has_perm("datasets.view_dataset") or user.has_perm("datasets.add_dataset")


def can_view_dataset(user, dataset: Dataset) -> bool:
    return has_perm_on(user, "view_dataset", dataset)


def can_change_dataset(user, dataset: Dataset) -> bool:
    return has_perm_on(user, "change_dataset", dataset)


def can_manage_dataset_access(user, dataset: Dataset) -> bool:
    return user.has_perm("datasets.manage_dataset_access") or (dataset.owner_id is not None and dataset.owner_id == user.pk)


def can_browse_models(user) -> bool:
    """Whether ``user`` may open the model list: readers of every model, and ML engineers (who register them)."""
    return user.has_perm("datasets.view_mlmodel") or user.has_perm("datasets.add_mlmodel")


def can_view_model(user, model: MLModel) -> bool:
    return has_perm_on(user, "view_mlmodel", model)


def can_change_model(user, model: MLModel) -> bool:
    """Whether ``user`` may register and resolve runs of ``model`` and edit it."""
    return has_perm_on(user, "change_mlmodel", model)


def can_manage_model_access(user, model: MLModel) -> bool:
    return user.has_perm("datasets.manage_model_access") or (model.owner_id is not None and model.owner_id == user.pk)


def require(actor, allowed, message: str) -> None:
    """Raise PermissionDenied(message) when ``actor`` is a person and ``allowed(actor)`` is false."""
    if is_person(actor) and not allowed(actor):
        raise PermissionDenied(message)


def require_global(actor, permission: str, message: str) -> None:
    """Raise PermissionDenied(message) when ``actor`` is a person without the model-level ``permission``."""
    require(actor, lambda user: user.has_perm(permission), message)


def give_object_permissions(user, obj, codenames: Iterable[str]) -> None:
    """Grant ``user`` the registry permissions ``codenames`` on ``obj`` alone."""
    for codename in codenames:
        assign_perm(f"datasets.{codename}", user, obj)


def take_object_permissions(user, obj, codenames: Iterable[str]) -> None:
    """Withdraw the registry permissions ``codenames`` on ``obj`` from ``user``."""
    for codename in codenames:
        remove_perm(f"datasets.{codename}", user, obj)
