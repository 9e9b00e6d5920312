"""The subject pages: search, detail with masked identifiers, reveal, recording, withdrawal, receipts."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from consent.models import ConsentEvent, ConsentState, DataSubject
from consent.services import record_consent

pytestmark = pytest.mark.django_db

CLEAR = ("jane.doe@example.com", "+442079460000", "Jane Doe", "7946 0000")


@pytest.fixture
def dpo_client(client_for):
    return client_for(Role.DPO, username="the-dpo")[0]


@pytest.fixture
def granted(dpo, subject, purpose):
    return record_consent(
        actor=dpo,
        subject=subject,
        purpose=purpose,
        status="granted",
        notice_version="v1",
        collection_method="web_form",
        occurred_at=timezone.now() - timedelta(days=1),
    )


def _detail(external_id="user-1"):
    return reverse("consent:subject_detail", args=[external_id])


def _assert_masked(content: str):
    assert "j***@example.com" in content
    assert "+44 ******0000" in content
    assert "J***" in content
    for clear in CLEAR:
        assert clear not in content


# --- Search --------------------------------------------------------------------------------


def test_search_lists_subjects_masked(dpo_client, subject):
    response = dpo_client.get(reverse("consent:subject_search"))

    assert response.status_code == 200
    _assert_masked(response.content.decode())
    assert "user-1" in response.content.decode()


@pytest.mark.parametrize("query", ["Jane.Doe@example.com", "+44 20 7946 0000", "user-"])
def test_search_finds_by_email_phone_or_external_id(dpo_client, subject, make_subject, query):
    make_subject("other-9", email="someone@example.org")

    content = dpo_client.get(reverse("consent:subject_search"), {"q": query}).content.decode()

    assert "user-1" in content and "other-9" not in content


def test_a_search_without_match_says_how_matching_works(dpo_client, subject):
    content = dpo_client.get(reverse("consent:subject_search"), {"q": "jane"}).content.decode()

    assert "No subject matches this search. Email and phone match only exactly." in content


def _bulk_subjects(count: int, start: int = 0):
    DataSubject.objects.bulk_create(
        [
            DataSubject(external_id=f"bulk-{n:05d}", email=f"p{n}@example.org", phone=f"+44 7700 9{n:05d}", name=f"Person {n}", jurisdiction_country="GB")
            for n in range(start, start + count)
        ]
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_search_makes_the_same_queries_for_10_and_1000_subjects(dpo_client, django_assert_max_num_queries):
    url = reverse("consent:subject_search")
    _bulk_subjects(10)
    with_ten = _queries(dpo_client, url)

    _bulk_subjects(990, start=10)
    with django_assert_max_num_queries(with_ten):
        response = dpo_client.get(url)

    assert response.status_code == 200
    assert len(response.context["rows"]) == 50


def test_a_deep_page_makes_the_same_queries_as_the_first(dpo_client, django_assert_max_num_queries):
    url = reverse("consent:subject_search")
    _bulk_subjects(1000)
    with CaptureQueriesContext(connection) as on_first:
        first = dpo_client.get(url)
    first_queries = list(on_first.captured_queries)  # read now: each request empties the connection's log
    cursor = first.context["page"].next_cursor
    for _ in range(17):  # the page at 90% depth
        cursor = dpo_client.get(url, {"cursor": cursor}).context["page"].next_cursor

    with django_assert_max_num_queries(len(first_queries)):
        response = dpo_client.get(url, {"cursor": cursor})

    assert len(response.context["rows"]) == 50
    assert not any("COUNT(" in query["sql"].upper() and "consent_datasubject" in query["sql"] for query in first_queries)


def test_the_next_and_previous_links_walk_the_list_keeping_the_search(dpo_client):
    _bulk_subjects(120)
    url = reverse("consent:subject_search")

    first = dpo_client.get(url, {"q": "bulk-"})
    content = first.content.decode()
    assert 'rel="next"' in content and 'rel="prev"' not in content and "Page 1 of" not in content
    second = dpo_client.get(url, {"q": "bulk-", "cursor": first.context["page"].next_cursor})
    assert 'href="?q=bulk-&amp;cursor=' in second.content.decode()
    back = dpo_client.get(url, {"q": "bulk-", "cursor": second.context["page"].previous_cursor})

    seen = [subject.external_id for subject, _ in first.context["rows"] + second.context["rows"]]
    assert len(seen) == len(set(seen)) == 100
    assert [subject.external_id for subject, _ in back.context["rows"]] == seen[:50]


def test_a_changed_cursor_is_a_clear_400_with_the_first_page(dpo_client):
    _bulk_subjects(60)
    url = reverse("consent:subject_search")

    response = dpo_client.get(url, {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert "This page link is damaged or out of date, so the list starts again from its first page." in response.content.decode()
    assert len(response.context["rows"]) == 50 and not response.context["page"].has_previous


# --- Detail and reveal -------------------------------------------------------------------------


def test_the_detail_page_shows_state_timeline_and_masked_identifiers(dpo_client, granted):
    content = dpo_client.get(_detail()).content.decode()

    _assert_masked(content)
    assert "Current consent per purpose" in content and "Marketing emails" in content
    assert 'class="badge badge-ok">Granted' in content
    assert reverse("consent:event_receipt", args=[granted.pk]) in content
    assert "Reveal identifiers" in content
    assert "requests follow GDPR / UK GDPR" in content


@pytest.mark.parametrize("role", [Role.COMPLIANCE_MANAGER, Role.AUDITOR])
def test_managers_and_auditors_see_masked_identifiers_and_no_reveal(client_for, subject, role):
    client, _ = client_for(role)

    content = client.get(_detail()).content.decode()

    _assert_masked(content)
    assert "Reveal identifiers" not in content
    assert "Record a consent" not in content


def test_a_dpo_reveals_on_that_response_only_and_it_is_audited(dpo_client, subject):
    response = dpo_client.post(reverse("consent:subject_reveal", args=["user-1"]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "jane.doe@example.com" in content and "+442079460000" in content and "Jane Doe" in content
    assert "This reveal is recorded in the audit log." in content
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="subject.revealed")
    assert (event.actor_label, event.target_id) == ("the-dpo", str(subject.pk))
    _assert_masked(dpo_client.get(_detail()).content.decode())


@pytest.mark.parametrize("role", [Role.COMPLIANCE_MANAGER, Role.AUDITOR, Role.DATA_STEWARD])
def test_others_are_refused_the_reveal_and_the_refusal_is_audited(client_for, subject, role):
    client, user = client_for(role)

    response = client.post(reverse("consent:subject_reveal", args=["user-1"]))

    assert response.status_code == 403
    for clear in CLEAR:
        assert clear not in response.content.decode()
    assert not AuditEvent.objects.filter(action="subject.revealed").exists()
    assert AuditEvent.objects.filter(action="auth.permission_denied", actor_id=str(user.pk)).exists()


def test_a_missing_subject_is_404(dpo_client):
    assert dpo_client.get(_detail("nobody")).status_code == 404


def test_the_page_lists_datasets_that_may_hold_the_subject(dpo_client, dpo, subject, settings, tmp_path):
    from datasets.services import add_storage_location, create_dataset

    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(tmp_path)]
    routes = create_dataset(actor=dpo, name="Delivery routes")
    add_storage_location(
        actor=dpo, dataset=routes, name="route logs", kind="filesystem", path=str(tmp_path / "r.jsonl"), subject_key="phone", subject_field="phone"
    )

    content = dpo_client.get(_detail()).content.decode()

    assert "Delivery routes" in content and "route logs (Files, by phone number)" in content


# --- Recording and withdrawing -------------------------------------------------------------------


def test_a_dpo_records_a_paper_consent(dpo_client, subject, purpose):
    response = dpo_client.post(
        reverse("consent:record", args=["user-1"]),
        {"purpose": "marketing", "status": "granted", "notice_version": "v1", "collection_method": "paper", "reason": "form of 3 March"},
    )

    assert response.status_code == 302 and response["Location"] == _detail()
    event = ConsentEvent.objects.get()
    assert (event.status, event.collection_method, event.recorded_by, event.reason) == ("granted", "paper", "the-dpo", "form of 3 March")
    assert "Recorded: granted for Marketing emails." in dpo_client.get(_detail()).content.decode()


def test_a_grant_without_notice_comes_back_with_the_reason(dpo_client, subject, purpose):
    response = dpo_client.post(
        reverse("consent:record", args=["user-1"]), {"purpose": "marketing", "status": "granted", "collection_method": "paper"}
    )

    assert response.status_code == 200
    assert "A grant names the notice version the person saw: give notice_version." in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_a_dpo_withdraws_with_a_reason(dpo_client, granted, subject, purpose):
    response = dpo_client.post(reverse("consent:withdraw", args=["user-1", "marketing"]), {"reason": "phoned on 3 March"}, follow=True)

    assert ConsentState.objects.get(subject=subject, purpose=purpose).status == "withdrawn"
    assert "Consent to Marketing emails withdrawn." in response.content.decode()
    assert ConsentEvent.objects.filter(status="withdrawn").get().reason == "phoned on 3 March"


def test_withdrawing_twice_says_there_is_nothing_to_withdraw(dpo_client, granted):
    url = reverse("consent:withdraw", args=["user-1", "marketing"])
    dpo_client.post(url, {"reason": "first"})

    content = dpo_client.post(url, {"reason": "second"}, follow=True).content.decode()

    assert "There is no consent to withdraw: user-1 has withdrawn since" in content


def test_withdrawing_without_a_reason_is_refused(dpo_client, granted):
    content = dpo_client.post(reverse("consent:withdraw", args=["user-1", "marketing"]), {}, follow=True).content.decode()

    assert "Say why the consent is withdrawn" in content
    assert ConsentState.objects.get().status == "granted"


# --- Receipts -------------------------------------------------------------------------------------


def test_the_subject_receipt_downloads_as_json_and_is_audited(client_for, granted, subject):
    client, auditor = client_for(Role.AUDITOR)

    response = client.get(reverse("consent:subject_receipt", args=["user-1"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="consent-receipt-{subject.pk}.json"'
    document = json.loads(response.content)
    assert (document["pii_principal_id"], document["schema_version"]) == ("user-1", "ISO/IEC TS 27560:2023")
    assert AuditEvent.objects.get(action="subject.receipt_exported").actor_id == str(auditor.pk)


def test_an_event_receipt_in_kantara_form(dpo_client, granted):
    response = dpo_client.get(reverse("consent:event_receipt", args=[granted.pk]), {"format": "kantara"})

    document = json.loads(response.content)
    assert (document["version"], document["consentReceiptID"]) == ("KI-CR-v1.1.0", str(granted.pk))
    assert response["Content-Disposition"] == f'attachment; filename="consent-receipt-{granted.pk}-kantara.json"'


def test_an_unknown_receipt_format_is_a_clear_400(dpo_client, granted):
    response = dpo_client.get(reverse("consent:event_receipt", args=[granted.pk]), {"format": "pdf"})

    assert response.status_code == 400
    assert response.json() == {"detail": "Unknown receipt format 'pdf': use iso or kantara."}
