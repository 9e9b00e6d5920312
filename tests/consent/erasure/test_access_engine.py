"""The access export against real stores: each location read, the encrypted archive, retries, expiry, downloads."""

import hashlib
import sqlite3
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance.audit.models import AuditEvent
from consent.erasure import access_engine, services
from consent.erasure.access_models import AccessResultStatus, AccessStatus
from consent.erasure.services import ErasureActionRefused
from datasets import connectors
from datasets.services import add_storage_location
from tests.consent.erasure.access_fixtures import (  # noqa: F401 (fixtures)
    access_root,
    file_access,
    run_export,
    started,
    zip_json,
    zip_members,
)
from tests.consent.erasure.stores import shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(file_access, started, subject, shop_stores, django_capture_on_commit_callbacks):
    return run_export(started(file_access(subject=subject)), django_capture_on_commit_callbacks)


def _download(request, actor):
    return access_engine.archive_for_download(actor=actor, request=request)


def test_the_archive_holds_exactly_the_subjects_records_from_every_location(ready, dpo, shop_stores):
    assert ready.status == AccessStatus.READY
    files = zip_json(_download(ready, dpo))

    customers = files["locations/01-shop-customers-customers.json"]
    orders = files["locations/02-shop-customers-orders.json"]
    assert sorted((row["email"], row["plan"]) for row in customers) == [
        ("jane.doe@example.com", "gold"),
        ("jane.doe@example.com", "silver"),
    ]
    assert orders == [{"customer_id": "user-1", "plan": "basic"}]
    assert set(files) == {"summary.json", "locations/01-shop-customers-customers.json", "locations/02-shop-customers-orders.json"}


def test_the_summary_and_readme_say_what_was_searched(ready, dpo):
    content = _download(ready, dpo)
    summary = zip_json(content)["summary.json"]
    readme = zip_members(content)["README.txt"].decode()

    assert summary["request"] == ready.reference
    assert (summary["regulation"], summary["clause"]) == ("GDPR / UK GDPR", "GDPR Art. 15")
    assert summary["verification"]["method"] == "Identity document checked"
    assert summary["records"] == 3
    assert summary["generated_at"] and summary["expires_at"] and summary["due_at"] and summary["received_at"]
    assert summary["locations"] == [
        {"name": "customers", "kind": "sqlite", "dataset": "Shop customers", "status": "done", "records": 2,
         "fields": ["id", "email", "plan"], "file": "locations/01-shop-customers-customers.json"},
        {"name": "orders", "kind": "filesystem", "dataset": "Shop customers", "status": "done", "records": 1,
         "fields": ["customer_id", "plan"], "file": "locations/02-shop-customers-orders.json"},
    ]
    assert f"answer to access request {ready.reference}" in readme
    assert "- Shop customers / customers (sqlite): 2 record(s), with the fields id, email, plan" in readme


def test_the_archive_on_disk_is_encrypted_and_its_sha256_recorded(ready, dpo, access_root):
    stored = (access_root / ready.archive_name).read_bytes()

    for clear in (b"jane.doe@example.com", b"user-1", b"summary.json", b"PK\x03\x04"):
        assert clear not in stored
    content = _download(ready, dpo)
    assert hashlib.sha256(content).hexdigest() == ready.archive_sha256
    event = AuditEvent.objects.get(action="access.ready")
    assert event.data["sha256"] == ready.archive_sha256 and event.data["records"] == 3
    assert list(access_root.iterdir()) == [access_root / ready.archive_name]  # the parts are gone


def test_every_download_is_audited_with_the_sha256(ready, dpo):
    _download(ready, dpo)
    _download(ready, dpo)

    events = AuditEvent.objects.filter(action="access.downloaded")
    assert events.count() == 2
    assert {event.data["sha256"] for event in events} == {ready.archive_sha256}
    assert events.first().actor_id == str(dpo.pk)


def test_a_location_keyed_by_what_the_request_lacks_is_not_applicable_with_the_reason(
    file_access, started, shop_stores, django_capture_on_commit_callbacks, dpo
):
    request = started(file_access(identifiers={"email": "Jane.Doe@example.com"}))
    orders = request.results.get(location=shop_stores["csv"])

    assert orders.status == AccessResultStatus.NOT_APPLICABLE
    assert orders.error == "Location 'orders' is keyed by external id, which this request does not give."
    request = run_export(request, django_capture_on_commit_callbacks)
    assert request.status == AccessStatus.READY
    summary = zip_json(_download(request, dpo))["summary.json"]
    assert summary["locations"][1] == {
        "name": "orders", "kind": "filesystem", "dataset": "Shop customers", "status": "not_applicable",
        "reason": "Location 'orders' is keyed by external id, which this request does not give.",
    }


def test_a_legal_hold_does_not_stop_access(file_access, started, subject, shop_stores, dataset, dpo,
                                           django_capture_on_commit_callbacks):
    services.set_legal_hold(actor=dpo, dataset=dataset, reason="Litigation")

    request = run_export(started(file_access(subject=subject)), django_capture_on_commit_callbacks)

    assert request.status == AccessStatus.READY
    assert sum(result.records_exported for result in request.results.all()) == 3


def test_a_missing_table_fails_the_location_and_the_request_with_the_reason_then_retry_succeeds(
    file_access, started, subject, store_root, dataset, dpo, django_capture_on_commit_callbacks
):
    database = store_root / "late.sqlite3"
    sqlite3.connect(database).close()
    add_storage_location(actor=dpo, dataset=dataset, name="late", kind="sqlite", path=str(database),
                         table="customers", subject_key="external_id", subject_field="customer_id")
    request = run_export(started(file_access(subject=subject)), django_capture_on_commit_callbacks)

    assert request.status == AccessStatus.FAILED
    result = request.results.get()
    assert (result.status, result.attempts) == (AccessResultStatus.FAILED, 1)
    assert result.error == f"Table customers does not exist in database {database}."
    with pytest.raises(ErasureActionRefused, match="is failed; its archive can be downloaded once it is ready"):
        _download(request, dpo)

    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE customers (customer_id TEXT, note TEXT)")
        connection.execute("INSERT INTO customers VALUES ('user-1', 'late'), ('user-2', 'other')")
    with django_capture_on_commit_callbacks(execute=False):
        access_engine.retry_failed_results(actor=dpo, request=request)
    request = run_export(request, django_capture_on_commit_callbacks)
    assert request.status == AccessStatus.READY
    assert zip_json(_download(request, dpo))["locations/01-shop-customers-late.json"] == [
        {"customer_id": "user-1", "note": "late"}
    ]
    assert AuditEvent.objects.filter(action="access.retried").count() == 1


def test_a_transient_error_retries_until_the_attempt_limit(
    file_access, started, subject, shop_stores, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ERASURE_MAX_ATTEMPTS = 2
    request = started(file_access(subject=subject))
    result = request.results.get(location=shop_stores["csv"])

    def unreachable(location, keys):
        raise connectors.TransientError("Store unreachable; Custos will try again.")

    monkeypatch.setattr(connectors, "export", unreachable)
    assert access_engine.run_result(result_id=result.pk) == access_engine.Outcome.RETRY
    result.refresh_from_db()
    assert (result.status, result.attempts, result.error) == ("pending", 1, "Store unreachable; Custos will try again.")
    assert access_engine.run_result(result_id=result.pk) == access_engine.Outcome.FAILED
    result.refresh_from_db()
    assert result.status == "failed"
    assert result.error == "Gave up after 2 attempts. Last error: Store unreachable; Custos will try again."
    request.refresh_from_db()
    assert request.status == AccessStatus.FAILED


def test_a_duplicate_delivery_reads_nothing_more(file_access, started, subject, shop_stores):
    request = started(file_access(subject=subject))
    result = request.results.get(location=shop_stores["csv"])

    assert access_engine.run_result(result_id=result.pk) == access_engine.Outcome.DONE
    assert access_engine.run_result(result_id=result.pk) == access_engine.Outcome.NOT_CLAIMED
    assert AuditEvent.objects.filter(action="access.location_read").count() == 1


def test_the_archive_is_built_once(ready):
    assert access_engine.assemble_archive(request_id=ready.pk) is False
    assert AuditEvent.objects.filter(action="access.ready").count() == 1


def test_an_expired_archive_is_deleted_and_its_download_answers_gone(
    ready, dpo, access_root, settings, django_capture_on_commit_callbacks
):
    path = access_root / ready.archive_name
    assert ready.expires_at == ready.generated_at + timedelta(hours=settings.ACCESS_EXPORT_TTL_HOURS)

    with time_machine.travel(ready.expires_at + timedelta(seconds=1)):
        with pytest.raises(access_engine.ArchiveGone):  # past its time, before the sweeper ran
            _download(ready, dpo)
        with django_capture_on_commit_callbacks(execute=True):
            assert access_engine.expire_archives() == 1
    ready.refresh_from_db()

    assert (ready.status, ready.archive_key) == (AccessStatus.EXPIRED, None)
    assert not path.exists()
    with pytest.raises(access_engine.ArchiveGone) as gone:
        _download(ready, dpo)
    when = timezone.localtime(ready.expires_at).strftime("%d %B %Y %H:%M %Z")
    assert gone.value.message == (
        f"The archive of access request {ready.reference} expired on {when} and was deleted; "
        "nothing can be downloaded any more."
    )
    assert AuditEvent.objects.get(action="access.expired").data["sha256"] == ready.archive_sha256
    assert access_engine.expire_archives() == 0


def test_a_tampered_archive_is_refused(ready, dpo, access_root):
    path = access_root / ready.archive_name
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))

    with pytest.raises(ErasureActionRefused, match="does not decrypt for this request"):
        _download(ready, dpo)
    assert not AuditEvent.objects.filter(action="access.downloaded").exists()


def test_the_sweeper_resends_lost_reads_and_assembles_answered_requests(
    file_access, started, subject, shop_stores, settings, django_capture_on_commit_callbacks
):
    request = started(file_access(subject=subject))
    later = timezone.now() + timedelta(seconds=settings.ERASURE_STEP_LEASE_SECONDS + 1)

    with django_capture_on_commit_callbacks(execute=False) as sent:
        counts = access_engine.sweep_results(now=later)
    assert counts == {"resent": 2, "assembled": 0}
    assert len(sent) == 2

    for result in request.results.all():
        access_engine.run_result(result_id=result.pk)
    with django_capture_on_commit_callbacks(execute=False):
        counts = access_engine.sweep_results(now=later + timedelta(seconds=settings.ERASURE_STEP_LEASE_SECONDS))
    assert counts == {"resent": 0, "assembled": 1}
    request.refresh_from_db()
    assert request.status == AccessStatus.READY


def test_a_part_lost_before_assembly_is_read_again(file_access, started, subject, shop_stores, access_root,
                                                     django_capture_on_commit_callbacks):
    request = started(file_access(subject=subject))
    with django_capture_on_commit_callbacks(execute=False):
        for result in request.results.all():
            access_engine.run_result(result_id=result.pk)
    lost = request.results.get(location=shop_stores["csv"])
    (access_root / lost.part_name).unlink()

    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert access_engine.assemble_archive(request_id=request.pk) is False
    lost.refresh_from_db()
    assert (lost.status, lost.part_name, lost.records_exported) == ("pending", "", None)
    assert lost.error.startswith("Its records were lost before the archive was built")
    assert len(sent) == 1

    request = run_export(request, django_capture_on_commit_callbacks)
    assert request.status == AccessStatus.READY
