"""Discovery: one count per applicable location, never the data, the error where a store cannot answer."""

import pytest

from compliance.audit.models import AuditEvent
from consent.erasure import discovery
from consent.erasure.models import DiscoveryResult
from consent.erasure.services import ErasureActionRefused
from datasets.services import add_storage_location
from tests.brokers import closed_port
from tests.consent.erasure.stores import approve, shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_discovery_counts_the_subject_in_each_location(verified, shop_stores):
    assert discovery.run_discovery(request_id=verified.pk) == 2

    counts = {result.location_id: result.records_found for result in DiscoveryResult.objects.all()}
    assert counts == {shop_stores["sqlite"].pk: 2, shop_stores["csv"].pk: 1}
    event = AuditEvent.objects.get(action="erasure.discovered")
    assert sorted(entry["records"] for entry in event.data["locations"]) == [1, 2]


def test_running_discovery_again_overwrites_the_counts(verified, shop_stores):
    discovery.run_discovery(request_id=verified.pk)
    shop_stores["orders"].write_text("customer_id,plan\nuser-2,pro\n")

    discovery.run_discovery(request_id=verified.pk)

    assert DiscoveryResult.objects.get(location=shop_stores["csv"]).records_found == 0
    assert DiscoveryResult.objects.count() == 2


def test_a_store_that_cannot_answer_gets_its_error_instead_of_a_count(verified, dataset, dpo):
    location = add_storage_location(
        actor=dpo, dataset=dataset, name="warehouse", kind="postgresql",
        url=f"postgresql://postgres@127.0.0.1:{closed_port()}/shop", table="customers", subject_key="external_id",
    )

    discovery.run_discovery(request_id=verified.pk)

    result = DiscoveryResult.objects.get(location=location)
    assert result.records_found is None
    assert "Custos will try again" in result.error


def test_requesting_discovery_enqueues_it_after_commit(verified, dpo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        discovery.request_discovery(actor=dpo, request=verified)

    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="erasure.discovery_requested").count() == 1


def test_discovery_of_a_completed_request_is_refused(verified, shop_stores, approve, dpo):
    from consent.erasure import execution

    request = approve(verified)
    for step in request.steps.all():
        execution.run_step(step_id=step.pk)

    with pytest.raises(ErasureActionRefused) as refused:
        discovery.request_discovery(actor=dpo, request=request)
    assert refused.value.message == (
        f"Request {request.reference} is completed; discovery runs before the erasure, "
        "while a request is received, verified or approved."
    )
    assert discovery.run_discovery(request_id=request.pk) == 0
