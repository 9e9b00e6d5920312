"""Matrix rows for the dataset pages (datasets/urls/catalog.py).

Each object belongs to another data steward, so the matrix's own steward
expresses "a steward sees nothing not granted to them" (404, as for a missing
dataset); an owner's access is covered by the view tests.
"""

from compliance.accounts.roles import Role
from datasets.models import Dataset
from datasets.services import add_storage_location, archive_dataset, create_dataset
from tests.factories import user_with_role
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase

# Who may open the registry at all: readers of every dataset, and stewards.
BROWSERS = STAFF_READERS | {Role.DATA_STEWARD.value}
# Who may register datasets: the DPO and stewards.
REGISTRARS = frozenset({Role.DPO.value, Role.DATA_STEWARD.value, ADMIN})
# Who may edit any dataset and manage who sees it: the DPO (and an administrator).
EDITORS = frozenset({Role.DPO.value, ADMIN})


def _dataset_of_another_steward() -> Dataset:
    owner = user_with_role(Role.DATA_STEWARD)
    return create_dataset(actor=None, name=f"Matrix {owner.username}", owner=owner, data_categories=["contact"])


def _others_dataset(user) -> dict:
    return {"slug": _dataset_of_another_steward().slug}


def _archived_dataset(user) -> dict:
    return {"slug": archive_dataset(actor=None, dataset=_dataset_of_another_steward()).slug}


def _location(user) -> dict:
    dataset = _dataset_of_another_steward()
    location = add_storage_location(
        actor=None,
        dataset=dataset,
        name="shop database",
        kind="postgresql",
        url="postgresql://app:matrix-secret@db.example.org:5432/shop",
        table="customers",
        subject_key="email",
    )
    return {"slug": dataset.slug, "pk": location.pk}


def _file_location(user) -> dict:
    """A file location whose file does not exist: testing it answers at once, without reaching any server."""
    dataset = _dataset_of_another_steward()
    location = add_storage_location(
        actor=None, dataset=dataset, name="export", kind="filesystem", path="matrix/absent.csv", subject_key="external_id"
    )
    return {"slug": dataset.slug, "pk": location.pk}


CASES = [
    UrlCase("datasets:list", allowed=BROWSERS, denied=(403,)),
    UrlCase("datasets:create", allowed=REGISTRARS, denied=(403,)),
    UrlCase("datasets:import", allowed=REGISTRARS, denied=(403,)),
    UrlCase("datasets:export", allowed=BROWSERS, denied=(403,)),
    UrlCase("datasets:detail", allowed=STAFF_READERS, denied=(404,), setup=_others_dataset),
    UrlCase("datasets:edit", allowed=EDITORS, setup=_others_dataset),
    UrlCase("datasets:archive", allowed=EDITORS, method="post", status=302, setup=_others_dataset),
    UrlCase("datasets:restore", allowed=EDITORS, method="post", status=302, setup=_archived_dataset),
    UrlCase("datasets:access_grant", allowed=EDITORS, method="post", status=302, setup=_others_dataset),
    UrlCase("datasets:access_revoke", allowed=EDITORS, method="post", status=302, setup=_others_dataset),
    UrlCase("datasets:history", allowed=STAFF_READERS, denied=(404,), setup=_others_dataset),
    UrlCase("datasets:locations", allowed=STAFF_READERS, denied=(404,), setup=_others_dataset),
    UrlCase("datasets:location_create", allowed=EDITORS, setup=_others_dataset),
    UrlCase("datasets:location_edit", allowed=EDITORS, setup=_location),
    UrlCase("datasets:location_delete", allowed=EDITORS, method="post", status=302, setup=_location),
    UrlCase("datasets:location_test", allowed=EDITORS, method="post", status=302, setup=_file_location),
]
