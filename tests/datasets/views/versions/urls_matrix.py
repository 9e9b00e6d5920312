"""Matrix rows for the versions pages (datasets/urls/versions.py).

Each version belongs to another data steward's dataset, so the matrix's own
steward gets 404, as for a missing version; an owner's access is covered by the
view tests. POSTs without a body answer the page again with the form's errors.
"""

from tests.datasets.views.registry_objects import dataset_of_another_steward, version_of_another_steward
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase
from compliance.accounts.roles import Role

# Who may edit any dataset: the DPO (and an administrator).
EDITORS = frozenset({Role.DPO.value, ADMIN})


def _dataset(user) -> dict:
    return {"dataset_slug": dataset_of_another_steward().slug}


def _version(user) -> dict:
    version = version_of_another_steward()
    return {"dataset_slug": version.dataset.slug, "label": version.label}


CASES = [
    UrlCase("versions:list", allowed=STAFF_READERS, denied=(404,), setup=_dataset),
    UrlCase("versions:create", allowed=EDITORS, setup=_dataset),
    UrlCase("versions:import_dvc", allowed=EDITORS, setup=_dataset),
    UrlCase("versions:detail", allowed=STAFF_READERS, denied=(404,), setup=_version),
    UrlCase("versions:lineage_svg", allowed=STAFF_READERS, denied=(404,), setup=_version),
    UrlCase("versions:membership_check", allowed=STAFF_READERS, denied=(404,), method="post", setup=_version),
    UrlCase("versions:membership_attach", allowed=EDITORS, method="post", setup=_version),
]
