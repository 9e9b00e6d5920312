"""Matrix rows for the share-link pages (datasets/urls/sharing.py).

The links belong to another data steward's dataset, so the matrix's own
steward gets 404. The recipient's download is public: a signed-out visitor
with a revoked link's token is told so (410); the view tests cover a live link.
"""

from compliance.accounts.roles import Role
from tests.datasets.views.registry_objects import dataset_of_another_steward, share_link_without_file
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase

EDITORS = frozenset({Role.DPO.value, ADMIN})


def _dataset(user) -> dict:
    return {"dataset_slug": dataset_of_another_steward().slug}


def _link(user) -> dict:
    link, _token = share_link_without_file()
    return {"pk": link.pk}


def _revoked_token(user) -> dict:
    _link, token = share_link_without_file(revoked=True)
    return {"token": token}


CASES = [
    UrlCase("sharing:dataset_links", allowed=STAFF_READERS, denied=(404,), setup=_dataset),
    UrlCase("sharing:create", allowed=EDITORS, setup=_dataset),
    UrlCase("sharing:revoke", allowed=EDITORS, method="post", status=302, setup=_link),
    UrlCase("sharing:download", public=True, anonymous_status=410, status=410, setup=_revoked_token),
]
