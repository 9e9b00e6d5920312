"""The purpose pages: list with coverage, create, edit, detail with notices and datasets, publishing a notice."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from consent.models import ConsentEvent, ConsentState, DataSubject, PrivacyNotice, Purpose
from datasets.services import create_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def dpo_client(client_for):
    return client_for(Role.DPO, username="the-dpo")[0]


def _grant_many(purpose, count: int, start: int = 0):
    """Subjects with a grant each, written in bulk (the services are tested elsewhere)."""
    notice = purpose.notices.get()
    now = timezone.now()
    subjects = DataSubject.objects.bulk_create([DataSubject(external_id=f"bulk-{n:05d}") for n in range(start, start + count)])
    events = ConsentEvent.objects.bulk_create(
        [
            ConsentEvent(subject=subject, purpose=purpose, status="granted", occurred_at=now, notice=notice, collection_method="import")
            for subject in subjects
        ]
    )
    ConsentState.objects.bulk_create(
        [
            ConsentState(subject=event.subject, purpose=purpose, status="granted", occurred_at=now, notice=notice, last_event=event)
            for event in events
        ]
    )


def test_the_list_shows_coverage_per_purpose(dpo_client, purpose):
    _grant_many(purpose, 3)
    DataSubject.objects.create(external_id="no-answer")

    response = dpo_client.get(reverse("consent:purpose_list"))

    (row,) = response.context["coverage"]
    assert (row.granted, row.withdrawn, row.none) == (3, 0, 1)
    assert "Marketing emails" in response.content.decode()


def test_the_list_makes_the_same_queries_for_10_and_1000_subjects(dpo_client, purpose, django_assert_max_num_queries):
    url = reverse("consent:purpose_list")
    _grant_many(purpose, 10)
    with CaptureQueriesContext(connection) as with_ten:
        dpo_client.get(url)

    _grant_many(purpose, 990, start=10)
    with django_assert_max_num_queries(len(with_ten)):
        response = dpo_client.get(url)

    assert response.context["coverage"][0].granted == 1000


def test_the_detail_makes_the_same_queries_for_10_and_1000_subjects(dpo_client, purpose, django_assert_max_num_queries):
    url = reverse("consent:purpose_detail", args=["marketing"])
    _grant_many(purpose, 10)
    with CaptureQueriesContext(connection) as with_ten:
        dpo_client.get(url)

    _grant_many(purpose, 990, start=10)
    with django_assert_max_num_queries(len(with_ten)):
        response = dpo_client.get(url)

    assert response.context["coverage"].granted == 1000
    assert [notice.event_count for notice in response.context["notices"]] == [1000]


def test_a_dpo_creates_a_purpose(dpo_client):
    response = dpo_client.post(
        reverse("consent:purpose_create"),
        {"code": "model-training", "name": "Model training", "lawful_basis": "consent", "consent_required": "on", "active": "on"},
    )

    assert response.status_code == 302 and response["Location"] == reverse("consent:purpose_detail", args=["model-training"])
    purpose = Purpose.objects.get()
    assert (purpose.name, purpose.consent_required, purpose.active) == ("Model training", True, True)
    assert AuditEvent.objects.filter(action="purpose.created", actor_label="the-dpo").exists()


def test_a_bad_purpose_comes_back_with_the_reason_by_field(dpo_client):
    response = dpo_client.post(
        reverse("consent:purpose_create"), {"code": "Bad Code", "name": "X", "lawful_basis": "consent", "consent_required": ""}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "&#x27;Bad Code&#x27; is not a purpose code" in content
    assert "A purpose whose lawful basis is consent always requires consent." in content
    assert not Purpose.objects.exists()


def test_a_dpo_edits_a_purpose_but_not_its_code(dpo_client, purpose):
    response = dpo_client.post(
        reverse("consent:purpose_edit", args=["marketing"]),
        {"code": "other", "name": "Marketing", "description": "Offers.", "lawful_basis": "consent", "consent_required": "on"},
    )

    purpose.refresh_from_db()
    assert response.status_code == 302
    assert (purpose.code, purpose.name, purpose.active) == ("marketing", "Marketing", False)


def test_the_detail_shows_notices_with_their_digest_and_the_datasets_fed(dpo_client, dpo, purpose):
    create_dataset(actor=dpo, name="Shop customers", purposes=["marketing"], retention_days=730)
    create_dataset(actor=dpo, name="Routes", purposes=["order-fulfilment"])

    content = dpo_client.get(reverse("consent:purpose_detail", args=["marketing"])).content.decode()

    assert hashlib.sha256(b"We will email you offers.").hexdigest() in content
    assert "Shop customers" in content and "kept 730 days" in content
    assert "Routes" not in content


def test_a_dpo_publishes_a_notice(dpo_client, purpose):
    response = dpo_client.post(
        reverse("consent:notice_create", args=["marketing"]), {"version": "v2", "language": "en", "url": "https://example.org/privacy/v2"}
    )

    assert response.status_code == 302
    notice = PrivacyNotice.objects.get(version="v2")
    assert notice.sha256 == hashlib.sha256(b"https://example.org/privacy/v2").hexdigest()
    assert "Notice v2 published for Marketing emails." in dpo_client.get(response["Location"]).content.decode()


def test_publishing_a_version_again_is_refused_on_the_form(dpo_client, purpose):
    response = dpo_client.post(reverse("consent:notice_create", args=["marketing"]), {"version": "v1", "language": "en", "text": "New"})

    assert response.status_code == 200
    assert "marketing already has a notice version v1; notices are never changed, so publish a new version." in response.content.decode()


@pytest.mark.parametrize("role", [Role.COMPLIANCE_MANAGER, Role.AUDITOR])
def test_readers_see_purposes_without_edit_links(client_for, purpose, role):
    client, _ = client_for(role)

    content = client.get(reverse("consent:purpose_detail", args=["marketing"])).content.decode()

    assert "Marketing emails" in content
    assert reverse("consent:purpose_edit", args=["marketing"]) not in content
    assert reverse("consent:notice_create", args=["marketing"]) not in content


def test_navigation_and_home_offer_consent_to_readers_only(client_for):
    dpo_client, _ = client_for(Role.DPO)
    steward_client, _ = client_for(Role.DATA_STEWARD)

    dpo_home = dpo_client.get(reverse("home")).content.decode()
    steward_home = steward_client.get(reverse("home")).content.decode()

    assert reverse("consent:subject_search") in dpo_home and reverse("consent:purpose_list") in dpo_home
    assert reverse("consent:subject_search") not in steward_home and reverse("consent:purpose_list") not in steward_home
