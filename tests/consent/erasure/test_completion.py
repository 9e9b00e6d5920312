"""On completion: consents withdrawn with the request as the reason, identifiers reduced, training runs flagged."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.crypto.blind_index import blind_index
from compliance.accounts.services import create_api_key
from consent.erasure import access_engine, access_services, execution, selectors, services
from consent.erasure.access_models import AccessRequest, AccessStatus
from consent.erasure.models import ErasureRequest, RequestStatus
from consent.models import ConsentState, ConsentStatus, DataSubject
from consent.services import record_consent
from datasets.models import ErasureStatus, TrainingRun
from datasets.services import create_model, create_version, register_training_run
from tests.brokers import messages_waiting, own_queue, profile_broker  # noqa: F401 (fixtures)
from tests.consent.erasure.access_fixtures import access_root, run_export  # noqa: F401 (fixtures)
from tests.consent.erasure.stores import approve, shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
PIPELINE = SystemActor("training pipeline")


def _complete(request):
    for step in request.steps.all():
        assert execution.run_step(step_id=step.pk) == execution.Outcome.DONE
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    return request


def test_the_subjects_granted_consents_are_withdrawn_with_the_request_as_reason(verified, shop_stores, approve, dpo, subject, purpose):
    record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", collection_method="app", notice_version="v1")

    request = _complete(approve(verified))

    state = ConsentState.objects.get(subject=subject, purpose=purpose)
    assert state.status == ConsentStatus.WITHDRAWN
    assert state.last_event.reason == f"erasure request {request.reference}"


def test_identifiers_are_reduced_to_blind_indexes_that_still_recognise_a_returning_person(verified, shop_stores, approve, subject):
    _complete(approve(verified))

    reduced = DataSubject.objects.get(pk=subject.pk)
    assert (reduced.email, reduced.phone, reduced.name) == (None, None, None)
    assert reduced.email_index == blind_index("jane.doe@example.com", "email")
    assert DataSubject.objects.filter(email_index=blind_index("Jane.Doe@Example.com", "email")).get() == reduced
    assert AuditEvent.objects.filter(action="erasure.identifiers_reduced").count() == 1


def test_a_request_by_identifiers_keeps_only_their_blind_indexes(make_request, shop_stores, approve, dpo):
    request = make_request(identifiers={"email": "jane.doe@example.com"})
    request = services.verify_erasure_request(actor=dpo, request=request, method="email_confirmation", evidence_note="Replied")

    _complete(approve(request))

    stored = ErasureRequest.objects.get(pk=request.pk)
    assert stored.email is None
    assert stored.email_index == blind_index("jane.doe@example.com", "email")


def test_training_runs_on_versions_holding_the_subject_are_affected_and_unfiltered_ones_possibly(
    verified, shop_stores, approve, dataset
):
    holding = create_version(actor=PIPELINE, dataset=dataset, label="v1", subject_keys=["user-1"])
    # A near-zero false-positive rate keeps "not present" certain whatever the checkout's keys.
    not_holding = create_version(
        actor=PIPELINE, dataset=dataset, label="v2", subject_keys=["user-9"], false_positive_rate=1e-9
    )
    unfiltered = create_version(actor=PIPELINE, dataset=dataset, label="v3")
    model = create_model(actor=PIPELINE, name="Churn")
    started = timezone.now() - timedelta(days=1)
    runs = {
        name: register_training_run(actor=PIPELINE, model=model, dataset_versions=[version], started_at=started)
        for name, version in (("holding", holding), ("not_holding", not_holding), ("unfiltered", unfiltered))
    }

    request = _complete(approve(verified))

    status = {name: TrainingRun.objects.get(pk=run.pk).erasure_status for name, run in runs.items()}
    assert status["holding"] == ErasureStatus.AFFECTED
    assert status["unfiltered"] == ErasureStatus.POSSIBLY_AFFECTED
    assert status["not_holding"] not in (ErasureStatus.AFFECTED, ErasureStatus.POSSIBLY_AFFECTED)
    completed = AuditEvent.objects.get(action="erasure.completed")
    assert completed.data["runs_affected"] == [runs["holding"].pk]
    assert completed.data["runs_possibly_affected"] == [runs["unfiltered"].pk]
    assert f"erasure request {request.reference}" in TrainingRun.objects.get(pk=runs["holding"].pk).erasure_references
    assert selectors.models_affected(request=request) == [
        {"training_run": runs["holding"].pk, "model": "churn", "flagged_as": "affected", "status": "affected"},
        {"training_run": runs["unfiltered"].pk, "model": "churn", "flagged_as": "possibly_affected", "status": "possibly_affected"},
    ]
    key = create_api_key(actor=PIPELINE, name="erasure reader", scopes=["erasure:write"])[1]
    body = Client().get(f"/api/v1/erasure-requests/{request.pk}/", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [entry["training_run"] for entry in body["models_affected"]] == [runs["holding"].pk, runs["unfiltered"].pk]


def test_an_approval_with_nothing_to_run_completes_once_it_commits(
    verified, dpo, django_capture_on_commit_callbacks, own_queue, settings
):
    settings.ERASURE_QUEUE = own_queue  # the certificate's task goes to this test's queue
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_erasure_request(actor=dpo, request=verified)

    verified.refresh_from_db()
    assert verified.status == RequestStatus.COMPLETED
    assert messages_waiting(own_queue) == 1


def test_the_persons_access_archives_are_deleted_and_their_identifiers_reduced(
    verified, shop_stores, approve, subject, dpo, access_root, django_capture_on_commit_callbacks
):
    ready = run_export(
        access_services.verify_access_request(
            actor=dpo,
            request=access_services.receive_access_request(actor=dpo, subject=subject, source="browser"),
            method="id_document",
            evidence_note="Passport seen",
        ),
        django_capture_on_commit_callbacks,
    )
    by_email = access_services.receive_access_request(
        actor=dpo, identifiers={"email": "Jane.Doe@example.com"}, source="browser"
    )
    someone_else = access_services.receive_access_request(
        actor=dpo, identifiers={"email": "someone.else@example.com"}, source="browser"
    )
    archive = access_root / ready.archive_name
    assert archive.exists() and ready.status == AccessStatus.READY

    with django_capture_on_commit_callbacks(execute=True):
        request = _complete(approve(verified))

    ready.refresh_from_db()
    assert (ready.status, ready.archive_key) == (AccessStatus.EXPIRED, None)
    assert not archive.exists()
    erased = AuditEvent.objects.get(action="access.erased")
    assert erased.data == {"request": ready.reference, "sha256": ready.archive_sha256, "erasure": f"erasure request {request.reference}"}
    assert AccessRequest.objects.get(pk=by_email.pk).email is None
    assert AccessRequest.objects.get(pk=by_email.pk).email_index == blind_index("jane.doe@example.com", "email")
    assert AccessRequest.objects.get(pk=someone_else.pk).email == "someone.else@example.com"
    completed = AuditEvent.objects.get(action="erasure.completed").data
    assert (completed["access_archives_deleted"], completed["access_requests_reduced"]) == (1, 1)
    with pytest.raises(access_engine.ArchiveGone, match="was deleted on .* because an erasure of the same person completed"):
        access_engine.archive_for_download(actor=dpo, request=ready)
