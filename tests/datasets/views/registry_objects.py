"""Objects the version, model and sharing matrices and tests make: each belongs to someone other than the requester."""

import secrets
from datetime import timedelta

from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.crypto.keyring import get_keyring
from datasets.models import Dataset, DatasetVersion, MLModel, ShareLink, TrainingRun
from datasets.models.sharing import hash_share_token
from datasets.services import add_storage_location, create_dataset, create_model, create_version, register_training_run
from tests.factories import user_with_role


def dataset_of_another_steward() -> Dataset:
    owner = user_with_role(Role.DATA_STEWARD)
    return create_dataset(actor=None, name=f"Matrix {owner.username}", owner=owner, data_categories=["contact"])


def version_of_another_steward(label: str = "v1") -> DatasetVersion:
    return create_version(actor=None, dataset=dataset_of_another_steward(), label=label)


def model_of_another_engineer() -> MLModel:
    owner = user_with_role(Role.ML_ENGINEER)
    return create_model(actor=None, name=f"Matrix model {owner.username}", owner=owner)


def run_of_another_engineer(**fields) -> TrainingRun:
    return register_training_run(
        actor=None,
        model=model_of_another_engineer(),
        dataset_versions=[version_of_another_steward()],
        started_at=timezone.now() - timedelta(hours=1),
        **fields,
    )


def share_link_without_file(*, revoked: bool = False) -> tuple[ShareLink, str]:
    """Return a link (and its token) to a file location whose file does not exist.

    Made directly, since issuing a link through the service needs the file,
    and the matrix runs without the tests' file-store root.
    """
    version = version_of_another_steward()
    location = add_storage_location(
        actor=None, dataset=version.dataset, name="export", kind="filesystem", path="matrix/absent.csv", subject_key="external_id"
    )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = ShareLink.objects.create(
        version=version,
        location=location,
        recipient_name="Rita Recipient",
        recipient_organisation="Partner Ltd",
        purpose="Matrix",
        expires_at=now + timedelta(days=7),
        max_downloads=3,
        token_hash=hash_share_token(token),
        watermark_key_id=get_keyring().active.key_id,
        revoked_at=now if revoked else None,
        created_at=now,
    )
    return link, token
