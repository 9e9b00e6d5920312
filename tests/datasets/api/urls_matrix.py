"""Matrix rows for the registry API (datasets/api/urls.py).

Every object belongs to another steward or engineer, so the matrix's own
steward and engineer get 404, as for a missing object; access through grants
and API keys is covered by the endpoint tests. The lists are open to those who
may browse that part of the registry (as its pages are), others get 403.
"""

from datetime import timedelta

from django.utils import timezone

from compliance.accounts.roles import Role
from datasets.services import add_storage_location, create_dataset, create_model, create_version, register_training_run
from tests.factories import user_with_role
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase

DATASET_BROWSERS = STAFF_READERS | {Role.DATA_STEWARD.value}
MODEL_BROWSERS = STAFF_READERS | {Role.ML_ENGINEER.value}
EDITORS = frozenset({Role.DPO.value, ADMIN})


def _dataset(user) -> dict:
    owner = user_with_role(Role.DATA_STEWARD)
    return {"slug": create_dataset(actor=None, name=f"API matrix {owner.username}", owner=owner).slug}


def _model(user) -> dict:
    owner = user_with_role(Role.ML_ENGINEER)
    return {"slug": create_model(actor=None, name=f"API matrix {owner.username}", owner=owner).slug}


def _run(user) -> dict:
    owner = user_with_role(Role.ML_ENGINEER)
    model = create_model(actor=None, name=f"API matrix {owner.username}", owner=owner)
    version = create_version(actor=None, dataset=create_dataset(actor=None, name=f"API matrix data {owner.username}"), label="v1")
    run = register_training_run(actor=None, model=model, dataset_versions=[version], started_at=timezone.now() - timedelta(hours=1))
    return {"pk": run.pk}


def _file_location(user) -> dict:
    """A file location whose file does not exist: testing it answers at once, without reaching any server."""
    owner = user_with_role(Role.DATA_STEWARD)
    dataset = create_dataset(actor=None, name=f"API matrix {owner.username}", owner=owner)
    location = add_storage_location(
        actor=None, dataset=dataset, name="export", kind="filesystem", path="matrix/absent.csv", subject_key="external_id"
    )
    return {"slug": dataset.slug, "pk": location.pk}


CASES = [
    UrlCase("api:dataset_list", api=True, allowed=DATASET_BROWSERS, denied=(403,)),
    UrlCase("api:dataset_detail", api=True, allowed=STAFF_READERS, denied=(404,), setup=_dataset),
    UrlCase("api:dataset_locations", api=True, allowed=STAFF_READERS, denied=(404,), setup=_dataset),
    # Compliance managers and auditors see the dataset but may not edit it (403); stewards are told it does not exist.
    UrlCase("api:location_test", api=True, method="post", allowed=EDITORS, setup=_file_location),
    UrlCase("api:dataset_versions", api=True, allowed=STAFF_READERS, denied=(404,), setup=_dataset),
    UrlCase("api:model_list", api=True, allowed=MODEL_BROWSERS, denied=(403,)),
    UrlCase("api:model_detail", api=True, allowed=STAFF_READERS, denied=(404,), setup=_model),
    UrlCase("api:training_run_list", api=True, allowed=MODEL_BROWSERS, denied=(403,)),
    UrlCase("api:training_run_detail", api=True, allowed=STAFF_READERS, denied=(404,), setup=_run),
    # The matrix posts an empty form: those who may see the run reach the body, which must be JSON (415);
    # the rest are told the run does not exist.
    UrlCase("api:training_run_finish", api=True, method="post", status=415, allowed=STAFF_READERS, denied=(404,), setup=_run),
]
