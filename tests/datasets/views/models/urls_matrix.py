"""Matrix rows for the model and training-run pages (datasets/urls/models.py).

Each model belongs to another ML engineer, so the matrix's own engineer gets
404, as for a missing model; an owner's and a granted engineer's access are
covered by the view tests. DPO, compliance managers and auditors read every
model; only its owner (or an administrator) changes it.
"""

from compliance.accounts.roles import Role
from tests.datasets.views.registry_objects import dataset_of_another_steward, model_of_another_engineer, run_of_another_engineer
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase

# Who may open the model list: readers of every model, and ML engineers.
BROWSERS = STAFF_READERS | {Role.ML_ENGINEER.value}
REGISTRARS = frozenset({Role.ML_ENGINEER.value, ADMIN})
OWNERS = frozenset({ADMIN})
OVERRIDERS = frozenset({Role.DPO.value, ADMIN})


def _model(user) -> dict:
    return {"slug": model_of_another_engineer().slug}


def _run(user) -> dict:
    return {"pk": run_of_another_engineer().pk}


def _flagged_run(user) -> dict:
    run = run_of_another_engineer()
    run.erasure_status = "affected"
    run.erasure_references = ["ER-1"]
    run.save(update_fields=["erasure_status", "erasure_references"])
    return {"pk": run.pk}


def _dataset(user) -> dict:
    return {"dataset_slug": dataset_of_another_steward().slug}


CASES = [
    UrlCase("models:list", allowed=BROWSERS, denied=(403,)),
    UrlCase("models:create", allowed=REGISTRARS, denied=(403,)),
    UrlCase("models:detail", allowed=STAFF_READERS, denied=(404,), setup=_model),
    UrlCase("models:edit", allowed=OWNERS, setup=_model),
    UrlCase("models:run_create", allowed=OWNERS, setup=_model),
    # Without a chosen engineer the page answers again with the error; a revoke without one goes back with a message.
    UrlCase("models:access_grant", allowed=OWNERS, method="post", setup=_model),
    UrlCase("models:access_revoke", allowed=OWNERS, method="post", status=302, setup=_model),
    UrlCase("models:budget_override", allowed=OVERRIDERS, method="post", setup=_model),
    UrlCase("models:run_detail", allowed=STAFF_READERS, denied=(404,), setup=_run),
    UrlCase("models:run_finish", allowed=OWNERS, method="post", setup=_run),
    UrlCase("models:run_resolve", allowed=OWNERS, method="post", setup=_flagged_run),
    UrlCase("models:dataset_runs", allowed=STAFF_READERS, denied=(404,), setup=_dataset),
]
