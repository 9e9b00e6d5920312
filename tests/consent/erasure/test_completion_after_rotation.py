"""An erasure completes after a key rotation that removed the key a membership filter was built under."""

import base64
import os
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.crypto.rotation import rotate_encryption_keys
from consent.erasure import execution
from consent.erasure.models import RequestStatus
from datasets.models import ErasureStatus, TrainingRun
from datasets.selectors import versions_matching_subject
from datasets.services import create_model, create_version, register_training_run
from tests.brokers import messages_waiting, own_queue, profile_broker  # noqa: F401 (fixtures)
from tests.consent.erasure.stores import approve, shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
PIPELINE = SystemActor("training pipeline")


def test_a_filter_under_a_removed_key_makes_its_runs_possibly_affected_and_the_erasure_completes(
    verified, shop_stores, approve, dataset, settings
):
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    filtered = create_version(actor=PIPELINE, dataset=dataset, label="v1", subject_keys=["user-9"], false_positive_rate=1e-9)
    model = create_model(actor=PIPELINE, name="Churn")
    run = register_training_run(
        actor=PIPELINE, model=model, dataset_versions=[filtered], started_at=timezone.now() - timedelta(days=1)
    )
    request = approve(verified)
    new_key = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]
    assert rotate_encryption_keys(actor=PIPELINE).complete
    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    membership = versions_matching_subject(identifiers={"external_id": "user-1"})
    for step in request.steps.all():
        assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE
    request.refresh_from_db()

    assert request.status == RequestStatus.COMPLETED
    assert [version.pk for version in membership.unreadable] == [filtered.pk]
    assert [version.pk for version in membership.unknown] == [filtered.pk] and membership.containing == []
    assert membership.notes() == [
        f"The membership filter of {filtered} was built under key {filtered.membership_filter.key_id}, which is no longer"
        " configured: its runs are counted as possibly affected. Rebuild the filter (manage.py"
        " rebuild_membership_filters) or restore the key to FIELD_ENCRYPTION_KEYS."
    ]
    assert TrainingRun.objects.get(pk=run.pk).erasure_status == ErasureStatus.POSSIBLY_AFFECTED
    assert AuditEvent.objects.get(action="erasure.completed").data["runs_possibly_affected"] == [run.pk]
