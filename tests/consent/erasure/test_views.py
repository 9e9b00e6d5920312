"""The erasure pages: list with filters and clocks, intake, the request page and its transitions, legal holds."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from consent.erasure import clocks, services
from consent.erasure.models import DiscoveryResult, ErasureRequest, LegalHold
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def client(dpo):
    return verified_client(dpo)


def _detail(request) -> str:
    return reverse("erasure:request_detail", args=[request.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


# --- List --------------------------------------------------------------------------------------


def test_the_list_shows_each_request_with_its_clock(client, make_request, subject, make_subject):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        late = make_request(subject=subject)
        soon = make_request(subject=make_subject("user-2", jurisdiction="GB"))
    ErasureRequest.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(days=3))
    stranger = make_request(identifiers={"email": "x@example.org", "phone": "+44 20 7946 0009"})

    content = client.get(reverse("erasure:request_list")).content.decode()

    assert f">#{late.pk}</a>" in content and f">#{soon.pk}</a>" in content and f">#{stranger.pk}</a>" in content
    assert "days overdue</span>" in content and 'badge badge-warn">3 days left' in content
    assert "Unknown person (email, phone)" in content and "x@example.org" not in content
    assert content.index(f">#{late.pk}</a>") < content.index(f">#{soon.pk}</a>") < content.index(f">#{stranger.pk}</a>")


def test_filters_narrow_by_status_regulation_clock_and_assignee(client, make_request, subject, make_subject, dpo):
    with time_machine.travel(datetime(2026, 1, 2, tzinfo=LONDON), tick=False):
        overdue = make_request(subject=subject, assignee=dpo)
    soon = make_request(subject=make_subject("ca-1", jurisdiction="US-CA"))
    ErasureRequest.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(days=2))
    later = make_request(identifiers={"email": "x@example.org"})
    services.verify_erasure_request(actor=dpo, request=later, method="other", evidence_note="Known")

    def listed(**query) -> set[int]:
        response = client.get(reverse("erasure:request_list"), query)
        assert response.status_code == 200
        return {item.pk for item, _ in response.context["rows"]}

    assert listed() == {overdue.pk, soon.pk, later.pk}
    assert listed(status="verified") == {later.pk}
    assert listed(regulation="ccpa") == {soon.pk}
    assert listed(due="overdue") == {overdue.pk}
    assert listed(due="soon") == {soon.pk}
    assert listed(assignee="dpo") == {overdue.pk}
    response = client.get(reverse("erasure:request_list"), {"status": "lost"})
    assert response.status_code == 200 and response.context["page"] is None
    assert "Select a valid choice. lost is not one of the available choices." in response.content.decode()


def _bulk_requests(count: int, subject):
    now = timezone.now()
    ErasureRequest.objects.bulk_create(
        [
            ErasureRequest(
                subject=subject,
                regulation="gdpr",
                clause="GDPR Art. 17(1)",
                source="api",
                received_at=now,
                due_at=clocks.due_at(regulation="gdpr", received_at=now),
                created_by="bulk",
            )
            for _ in range(count)
        ]
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_makes_the_same_queries_for_10_and_1000_requests(client, subject, django_assert_max_num_queries):
    url = reverse("erasure:request_list")
    _bulk_requests(10, subject)
    with_ten = _queries(client, url)

    _bulk_requests(990, subject)
    with django_assert_max_num_queries(with_ten):
        response = client.get(url)
    assert len(response.context["rows"]) == 50


# --- Intake ------------------------------------------------------------------------------------


def test_the_dpo_files_a_request_for_a_known_subject(client, subject, dpo):
    response = client.post(
        reverse("erasure:request_create"),
        {"external_id": "user-1", "regulation": "", "requester_contact": "jane.doe@example.com", "assignee": "dpo"},
    )

    request = ErasureRequest.objects.get()
    assert response.status_code == 302 and response.url == _detail(request)
    assert (request.subject, request.regulation, request.source, request.assignee, request.requester_contact) == (
        subject,
        "gdpr",
        "browser",
        dpo,
        "jane.doe@example.com",
    )
    assert "erasure.received" in _actions()
    page = client.get(response.url)
    assert f"Request #{request.pk} received; due " in _messages(page)[0]


def test_the_dpo_files_a_request_for_an_unknown_person(client):
    response = client.post(reverse("erasure:request_create"), {"email": "Someone@Example.org", "regulation": "ccpa"})
    request = ErasureRequest.objects.get()
    assert response.status_code == 302
    assert (request.subject, request.email, request.regulation, request.clause) == (None, "someone@example.org", "ccpa", "CCPA §1798.105")


def test_intake_errors_come_back_on_the_form(client, subject):
    unknown = client.post(reverse("erasure:request_create"), {"external_id": "nobody"})
    assert "No subject has this external id. Check it, or leave it empty and give the person&#x27;s email or phone." in (
        unknown.content.decode()
    )
    empty = client.post(reverse("erasure:request_create"), {})
    assert "Name the subject by external id, or give the person&#x27;s email or phone." in empty.content.decode()
    both = client.post(reverse("erasure:request_create"), {"external_id": "user-1", "phone": "+44 20 7946 0000"})
    assert "Name a known subject or give identifiers for an unknown person, not both." in both.content.decode()
    assert not ErasureRequest.objects.exists()


# --- The request page ------------------------------------------------------------------------------


def test_the_request_page_shows_facts_clock_steps_discovery_and_holds(client, verified, dataset, make_location, dpo):
    orders = make_location(dataset, "orders")
    DiscoveryResult.objects.create(request=verified, location=orders, records_found=12)
    hold = services.set_legal_hold(actor=dpo, dataset=dataset, reason="Litigation 2026-17")
    services.approve_erasure_request(actor=dpo, request=verified)

    content = client.get(_detail(verified)).content.decode()

    assert f"Erasure request #{verified.pk}" in content and "GDPR Art. 17(1)" in content
    assert "Identity document checked by dpo" in content and "Passport seen" in content
    assert "days left</span>" in content
    assert "Shop customers</a> · orders" in content and 'badge badge-warn">Skipped' in content
    assert f"Legal hold #{hold.pk} on dataset Shop customers: Litigation 2026-17" in content
    assert "<td>12</td>" in content
    assert "Cancel approval" in content


def test_auditors_read_the_page_without_any_action(client_for, verified):
    auditor_client, _ = client_for(Role.AUDITOR)
    content = auditor_client.get(_detail(verified)).content.decode()
    assert "Act on the request" not in content and "Reveal identifiers" not in content
    assert auditor_client.post(reverse("erasure:request_approve", args=[verified.pk])).status_code == 403
    assert ErasureRequest.objects.get(pk=verified.pk).status == "verified"


def test_verify_approve_through_the_pages(client, make_request, subject, dataset, make_location):
    make_location(dataset, "orders")
    request = make_request(subject=subject)

    verify = client.post(
        reverse("erasure:request_verify", args=[request.pk]), {"method": "account", "evidence_note": "Signed in"}, follow=True
    )
    approve = client.post(reverse("erasure:request_approve", args=[request.pk]), follow=True)

    assert _messages(verify) == [f"Request #{request.pk} verified."]
    assert _messages(approve) == [f"Request #{request.pk} approved."]
    request.refresh_from_db()
    assert request.status == "approved" and request.steps.count() == 1
    assert _actions()[-2:] == ["erasure.verified", "erasure.approved"]


def test_a_refused_transition_says_why_on_the_page(client, make_request, subject):
    request = make_request(subject=subject)
    response = client.post(reverse("erasure:request_approve", args=[request.pk]), follow=True)
    assert _messages(response) == [f"Request #{request.pk} is received; only verified requests can be approved."]
    incomplete = client.post(reverse("erasure:request_reject", args=[request.pk]), {"reason": "exemption"}, follow=True)
    assert _messages(incomplete) == ["Clause: This field is required."]


def test_reject_extend_pause_resume_reassign_and_cancel_through_the_pages(client, make_request, subject, dpo, make_user, verified):
    other = make_user(Role.DPO, username="dpo2")
    request = make_request(subject=subject)
    url = lambda name, item=request: reverse(f"erasure:{name}", args=[item.pk])  # noqa: E731

    assert _messages(client.post(url("request_pause"), follow=True)) == [f"Request #{request.pk}'s clock paused."]
    assert _messages(client.post(url("request_resume"), follow=True)) == [f"Request #{request.pk}'s clock resumed."]
    assert _messages(client.post(url("request_extend"), {"reason": "Complex"}, follow=True)) == [
        f"Request #{request.pk}'s deadline extended."
    ]
    assert _messages(client.post(url("request_reassign"), {"assignee": "dpo2"}, follow=True)) == [
        f"Request #{request.pk} reassigned."
    ]
    rejected = client.post(url("request_reject"), {"reason": "unverifiable", "clause": "GDPR Art. 12(6)"}, follow=True)
    assert _messages(rejected) == [f"Request #{request.pk} rejected."]
    request.refresh_from_db()
    assert (request.status, request.extended, request.assignee) == ("rejected", True, other)

    services.approve_erasure_request(actor=dpo, request=verified)
    cancelled = client.post(url("request_cancel", verified), {"reason": "Hold coming"}, follow=True)
    assert _messages(cancelled) == [f"Request #{verified.pk}'s approval cancelled; it is verified again."]


def test_reveal_shows_the_identifiers_once_and_audits_it(client, make_request):
    request = make_request(identifiers={"email": "someone@example.org"}, requester_contact="Call after 6pm")
    masked = client.get(_detail(request)).content.decode()
    assert "s***@example.org" in masked and "someone@example.org" not in masked and "Call after 6pm" not in masked

    revealed = client.post(reverse("erasure:request_reveal", args=[request.pk])).content.decode()

    assert "someone@example.org" in revealed and "Call after 6pm" in revealed
    event = AuditEvent.objects.get(action="erasure.identifiers_revealed")
    assert event.data == {"request": request.reference, "fields": ["email", "requester_contact"]}


def test_missing_requests_are_404(client):
    assert client.get(reverse("erasure:request_detail", args=[999])).status_code == 404


# --- Legal holds -------------------------------------------------------------------------------


def test_the_dpo_sets_and_releases_holds(client, dataset, subject):
    on_dataset = client.post(reverse("erasure:hold_create"), {"dataset": dataset.slug, "reason": "Litigation"}, follow=True)
    on_subject = client.post(reverse("erasure:hold_create"), {"external_id": "user-1", "reason": "Regulator"}, follow=True)
    dataset_hold, subject_hold = LegalHold.objects.order_by("pk")

    assert _messages(on_dataset) == [f"Legal hold #{dataset_hold.pk} set on dataset Shop customers."]
    assert _messages(on_subject) == [f"Legal hold #{subject_hold.pk} set on subject user-1."]
    listed = client.get(reverse("erasure:hold_list")).content.decode()
    assert "Litigation" in listed and "Regulator" in listed

    released = client.post(reverse("erasure:hold_release", args=[dataset_hold.pk]), follow=True)
    assert _messages(released) == [f"Legal hold #{dataset_hold.pk} released."]
    assert "Litigation" not in client.get(reverse("erasure:hold_list")).content.decode()
    assert "Litigation" in client.get(reverse("erasure:hold_list"), {"state": "ended"}).content.decode()
    again = client.post(reverse("erasure:hold_release", args=[dataset_hold.pk]), follow=True)
    assert _messages(again)[0].startswith(f"Legal hold #{dataset_hold.pk} was already released on ")
    assert _actions().count("legal_hold.set") == 2 and _actions().count("legal_hold.released") == 1


def test_a_hold_needs_one_target(client, dataset):
    both = client.post(reverse("erasure:hold_create"), {"dataset": dataset.slug, "external_id": "user-x", "reason": "x"})
    assert "No subject has this external id." in both.content.decode()
    neither = client.post(reverse("erasure:hold_create"), {"reason": "x"})
    assert "Put the hold on a dataset or on a subject (one of them)." in neither.content.decode()
    assert not LegalHold.objects.exists()


# --- Elsewhere: subject page, navigation, home -------------------------------------------------------


def test_the_subject_page_lists_the_subject_requests(client, make_request, subject):
    request = make_request(subject=subject)
    content = client.get(reverse("consent:subject_detail", args=["user-1"])).content.decode()
    assert "Erasure requests</h2>" in content and _detail(request) in content


def test_home_counts_overdue_and_due_soon_and_the_nav_links_the_list(client, make_request, subject, make_subject):
    with time_machine.travel(datetime(2026, 1, 2, tzinfo=LONDON), tick=False):
        make_request(subject=subject)
    soon = make_request(subject=make_subject("user-2"))
    ErasureRequest.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(days=1))
    content = client.get(reverse("home")).content.decode()
    assert "1 overdue, 1 due soon." in content
    assert f'href="{reverse("erasure:request_list")}"' in content


def test_the_hold_list_makes_the_same_queries_for_10_and_1000_holds(client, dpo, subject, django_assert_max_num_queries):
    def bulk(count):
        LegalHold.objects.bulk_create([LegalHold(subject=subject, reason=f"Case {n}", set_by=dpo) for n in range(count)])

    url = reverse("erasure:hold_list")
    bulk(10)
    with_ten = _queries(client, url)
    bulk(990)
    with django_assert_max_num_queries(with_ten):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50


def test_the_request_page_makes_the_same_queries_for_1_and_30_steps(
    client, verified, dataset, make_location, dpo, django_assert_max_num_queries
):
    make_location(dataset, "orders_0")
    approved = services.approve_erasure_request(actor=dpo, request=verified)
    with_one = _queries(client, _detail(approved))
    services.cancel_erasure_approval(actor=dpo, request=approved, reason="More locations")
    for n in range(1, 30):
        make_location(dataset, f"orders_{n}")
    services.approve_erasure_request(actor=dpo, request=verified)
    with django_assert_max_num_queries(with_one):
        assert client.get(_detail(verified)).status_code == 200
