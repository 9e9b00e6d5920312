"""The access request pages: list with filters and clocks, intake, the request page and its actions, the download."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from consent.erasure import clocks
from consent.erasure.access_models import AccessRequest, AccessStatus
from tests.conftest import verified_client
from tests.consent.erasure.access_fixtures import (  # noqa: F401 (fixtures)
    access_root,
    file_access,
    run_export,
    started,
    zip_json,
)
from tests.consent.erasure.stores import shop_stores, store_root  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
LIST = reverse("erasure:access_list")


@pytest.fixture
def client(dpo):
    return verified_client(dpo)


@pytest.fixture
def ready(file_access, started, subject, shop_stores, django_capture_on_commit_callbacks):
    return run_export(started(file_access(subject=subject)), django_capture_on_commit_callbacks)


def _detail(request) -> str:
    return reverse("erasure:access_detail", args=[request.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- List --------------------------------------------------------------------------------------


def test_the_list_shows_each_request_with_its_clock_and_no_identifier(client, file_access, subject):
    known = file_access(subject=subject)
    stranger = file_access(identifiers={"email": "x@example.org"})
    AccessRequest.objects.filter(pk=stranger.pk).update(due_at=timezone.now() + timedelta(days=3))

    content = client.get(LIST).content.decode()

    assert f">{known.reference}</a>" in content and f">{stranger.reference}</a>" in content
    assert 'badge badge-warn">3 days left' in content
    assert "Unknown person (email)" in content and "x@example.org" not in content
    assert content.index(f">{stranger.reference}</a>") < content.index(f">{known.reference}</a>")


def test_the_list_filters_by_status_and_explains_a_bad_filter(client, file_access, subject, started):
    received = file_access(subject=subject)
    running = started(file_access(identifiers={"email": "x@example.org"}))

    def listed(**query) -> set[int]:
        response = client.get(LIST, query)
        assert response.status_code == 200
        return {item.pk for item, _ in response.context["rows"]}

    assert listed() == {received.pk, running.pk}
    assert listed(status="running") == {running.pk}
    assert listed(status="received") == {received.pk}
    response = client.get(LIST, {"status": "lost"})
    assert response.status_code == 200 and response.context["page"] is None
    assert "Select a valid choice. lost is not one of the available choices." in response.content.decode()


def _bulk(count: int, subject) -> None:
    now = timezone.now()
    AccessRequest.objects.bulk_create(
        [
            AccessRequest(
                subject=subject, regulation="gdpr", clause="GDPR Art. 15", source="api", received_at=now,
                due_at=clocks.due_at(regulation="gdpr", received_at=now), created_by="bulk",
            )
            for _ in range(count)
        ]
    )


def test_the_list_makes_the_same_queries_for_10_and_1000_requests(client, subject, django_assert_max_num_queries):
    _bulk(10, subject)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST).status_code == 200
    with_ten = len(captured)

    _bulk(990, subject)
    with django_assert_max_num_queries(with_ten):
        response = client.get(LIST)
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.count == 1000


# --- Intake ------------------------------------------------------------------------------------


def test_the_dpo_files_a_request_for_a_known_subject(client, subject, dpo):
    response = client.post(reverse("erasure:access_create"), {"external_id": "user-1", "assignee": "dpo"})

    request = AccessRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == _detail(request)
    assert (request.subject, request.regulation, request.clause, request.source) == (subject, "gdpr", "GDPR Art. 15", "browser")
    assert request.assignee == dpo
    event = AuditEvent.objects.get(action="access.received")
    assert event.data["subject"] == "user-1" and event.actor_id == str(dpo.pk)


def test_a_ccpa_request_names_the_right_to_know(client):
    client.post(reverse("erasure:access_create"), {"email": "ann@example.org", "regulation": "ccpa"})

    request = AccessRequest.objects.get()
    assert (request.clause, request.email) == ("CCPA §1798.110", "ann@example.org")
    assert request.due_at == clocks.due_at(regulation="ccpa", received_at=request.received_at)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, None, "Name the subject by external id, or give the person&#x27;s email or phone."),
        ({"email": "nobody"}, "email", "This is not an email address: it has no @."),
        ({"external_id": "ghost"}, "external_id", "No subject has this external id."),
        ({"external_id": "user-1", "email": "a@example.org"}, None, "Name a known subject or give identifiers"),
    ],
)
def test_bad_intake_is_explained_on_the_form(client, subject, data, field, message):
    response = client.post(reverse("erasure:access_create"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    if field:
        assert field in response.context["form"].errors
    assert not AccessRequest.objects.exists()


def test_only_the_dpo_may_file(client_for):
    auditor, _ = client_for(Role.AUDITOR)
    assert auditor.post(reverse("erasure:access_create"), {"email": "a@example.org"}).status_code == 403
    assert not AccessRequest.objects.exists()


# --- The request page and its actions ---------------------------------------------------------------


def test_verifying_starts_the_export_and_the_page_refreshes_while_it_runs(client, file_access, subject, shop_stores,
                                                                      django_capture_on_commit_callbacks):
    request = file_access(subject=subject)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        response = client.post(
            reverse("erasure:access_verify", args=[request.pk]), {"method": "id_document", "evidence_note": "Passport"}
        )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == AccessStatus.RUNNING and request.results.count() == 2
    assert len(sent) == 2
    assert list(AuditEvent.objects.filter(action__startswith="access.").order_by("sequence").values_list("action", flat=True)) == [
        "access.received", "access.verified", "access.started",
    ]
    page = client.get(_detail(request))
    content = page.content.decode()
    assert f"Access request {request.reference} verified; every location is being read." in _messages(page)
    assert '<meta http-equiv="refresh" content="5">' in content
    assert "Shop customers</a> · customers" in content and "Pending" in content


def test_verifying_without_evidence_is_refused_with_the_field(client, file_access, subject):
    request = file_access(subject=subject)

    response = client.post(reverse("erasure:access_verify", args=[request.pk]), {"method": "id_document"}, follow=True)

    assert "Evidence: This field is required." in _messages(response)
    request.refresh_from_db()
    assert request.status == AccessStatus.RECEIVED


def test_rejecting_needs_a_reason_other_than_a_legal_hold(client, file_access, subject):
    request = file_access(subject=subject)
    url = reverse("erasure:access_reject", args=[request.pk])

    refused = client.post(url, {"reason": "legal_hold", "clause": "GDPR Art. 15(4)"}, follow=True)
    assert "Reason: Select a valid choice. legal_hold is not one of the available choices." in _messages(refused)

    client.post(url, {"reason": "unverifiable", "clause": "GDPR Art. 12(6)", "note": "No reply"})
    request.refresh_from_db()
    assert (request.status, request.rejection_reason) == (AccessStatus.REJECTED, "unverifiable")
    assert AuditEvent.objects.get(action="access.rejected").data == {
        "request": request.reference, "reason": "unverifiable", "clause": "GDPR Art. 12(6)",
    }
    again = client.post(reverse("erasure:access_verify", args=[request.pk]), {"method": "other", "evidence_note": "x"}, follow=True)
    assert f"Access request {request.reference} is rejected; only received requests can be verified." in _messages(again)


def test_extend_pause_resume_and_reassign_through_the_page(client, file_access, subject, make_user):
    other = make_user(Role.DPO, username="dpo2")
    request = file_access(subject=subject)
    url = lambda name: reverse(f"erasure:{name}", args=[request.pk])  # noqa: E731

    page = client.get(_detail(request)).content.decode()
    assert f'action="{url("access_pause")}"' in page and f'action="{url("access_extend")}"' in page
    assert f'action="{url("access_reassign")}"' in page

    paused = client.post(url("access_pause"), follow=True)
    assert _messages(paused) == [f"Access request {request.reference}'s clock paused."]
    content = paused.content.decode()
    assert f'action="{url("access_resume")}"' in content and ">Paused</span>" in content and "<dt>Clock</dt>" in content
    assert _messages(client.post(url("access_resume"), follow=True)) == [f"Access request {request.reference}'s clock resumed."]
    extended = client.post(url("access_extend"), {"reason": "Numerous requests"}, follow=True)
    assert _messages(extended) == [f"Access request {request.reference}'s deadline extended."]
    assert ": Numerous requests)" in extended.content.decode() and f'action="{url("access_extend")}"' not in extended.content.decode()
    assert _messages(client.post(url("access_reassign"), {"assignee": "dpo2"}, follow=True)) == [
        f"Access request {request.reference} reassigned."
    ]

    request.refresh_from_db()
    assert (request.extended, request.extension_reason, request.assignee, request.paused_at) == (
        True, "Numerous requests", other, None,
    )
    assert list(
        AuditEvent.objects.filter(action__startswith="access.").order_by("sequence").values_list("action", flat=True)
    ) == ["access.received", "access.clock_paused", "access.clock_resumed", "access.deadline_extended", "access.reassigned"]


def test_a_refused_clock_action_says_why_on_the_page(client, file_access, started, subject, shop_stores):
    request = started(file_access(subject=subject))

    page = client.get(_detail(request)).content.decode()
    assert "Pause clock" not in page and "Extend the deadline (once)" in page

    assert _messages(client.post(reverse("erasure:access_pause", args=[request.pk]), follow=True)) == [
        f"Access request {request.reference} is running; only received or verified requests can be paused."
    ]
    assert _messages(client.post(reverse("erasure:access_extend", args=[request.pk]), {"reason": ""}, follow=True)) == [
        "Reason: This field is required."
    ]
    assert _messages(client.post(reverse("erasure:access_reassign", args=[request.pk]), {"assignee": "nobody"}, follow=True)) == [
        "Assignee: Select a valid choice. That choice is not one of the available choices."
    ]
    request.refresh_from_db()
    assert (request.paused_at, request.extended) == (None, False)
    assert not AuditEvent.objects.filter(action__in=["access.clock_paused", "access.deadline_extended"]).exists()


def test_a_ready_request_offers_no_clock_controls(client, ready):
    content = client.get(_detail(ready)).content.decode()

    assert "Extend the deadline" not in content and "Reassign" not in content and "Pause clock" not in content


def test_the_auditor_sees_masked_identifiers_and_no_actions(client_for, file_access):
    request = file_access(identifiers={"email": "jane@example.com", "phone": "+44 20 7946 0000"}, requester_contact="by post")
    auditor, _ = client_for(Role.AUDITOR)

    content = auditor.get(_detail(request)).content.decode()

    assert "j***@example.com" in content and "jane@example.com" not in content and "by post" not in content
    assert "Record verification" not in content and "Download the archive" not in content
    assert "Extend the deadline" not in content and "Pause clock" not in content


def test_the_ready_page_offers_the_download_with_its_expiry(client, ready):
    content = client.get(_detail(ready)).content.decode()

    assert reverse("erasure:access_download", args=[ready.pk]) in content
    assert f"can be downloaded until <time datetime=\"{timezone.localtime(ready.expires_at).isoformat()}" in content
    assert ready.archive_sha256 in content
    assert 'http-equiv="refresh"' not in content


# --- Download ---------------------------------------------------------------------------------------


def test_the_dpo_downloads_the_archive_as_an_uncached_attachment_and_it_is_audited(client, ready, dpo):
    response = client.get(reverse("erasure:access_download", args=[ready.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="access-request-A{ready.pk}.zip"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    files = zip_json(response.content)
    assert files["locations/02-shop-customers-orders.json"] == [{"customer_id": "user-1", "plan": "basic"}]
    event = AuditEvent.objects.get(action="access.downloaded")
    assert (event.actor_id, event.data["sha256"]) == (str(dpo.pk), ready.archive_sha256)


def test_an_auditor_may_not_download(client_for, ready):
    auditor, _ = client_for(Role.AUDITOR)

    assert auditor.get(reverse("erasure:access_download", args=[ready.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="access.downloaded").exists()


def test_an_expired_archive_answers_gone_saying_when(client, ready):
    # Past its expiry, before the sweeper deleted it (travelling 72 hours would end the session).
    AccessRequest.objects.filter(pk=ready.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    ready.refresh_from_db()

    response = client.get(reverse("erasure:access_download", args=[ready.pk]))

    assert response.status_code == 410
    when = timezone.localtime(ready.expires_at).strftime("%d %B %Y %H:%M %Z")
    assert f"The archive of access request {ready.reference} expired on {when} and was deleted" in response.content.decode()
    assert not AuditEvent.objects.filter(action="access.downloaded").exists()


def test_a_request_not_ready_has_nothing_to_download(client, file_access, subject):
    request = file_access(subject=subject)

    response = client.get(reverse("erasure:access_download", args=[request.pk]), follow=True)

    assert response.redirect_chain[-1][0] == _detail(request)
    assert f"Access request {request.reference} is received; its archive can be downloaded once it is ready." in _messages(response)


def test_the_navigation_offers_access_requests_to_readers_only(client_for):
    auditor, _ = client_for(Role.AUDITOR)
    steward, _ = client_for(Role.DATA_STEWARD)

    assert f'href="{LIST}"' in auditor.get(reverse("home"), follow=True).content.decode()  # the workspace, the auditor's home
    assert f'href="{LIST}"' not in steward.get(reverse("home")).content.decode()


def test_the_dpo_reveals_the_contact_to_send_the_archive_and_it_is_audited(client, file_access, dpo):
    request = file_access(identifiers={"email": "jane@example.com"}, requester_contact="Flat 2, 1 High St")

    assert "Flat 2, 1 High St" not in client.get(_detail(request)).content.decode()
    content = client.post(reverse("erasure:access_reveal", args=[request.pk])).content.decode()

    assert "jane@example.com" in content and "Flat 2, 1 High St" in content
    event = AuditEvent.objects.get(action="access.identifiers_revealed")
    assert (event.actor_id, event.data["fields"]) == (str(dpo.pk), ["email", "requester_contact"])


def test_a_manager_may_not_reveal(client_for, file_access):
    request = file_access(identifiers={"email": "jane@example.com"})
    manager, _ = client_for(Role.COMPLIANCE_MANAGER)

    assert manager.post(reverse("erasure:access_reveal", args=[request.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="access.identifiers_revealed").exists()
