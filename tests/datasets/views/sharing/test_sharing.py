"""Share links: the tab, issuing (the URL shown once), revoking, and the recipient's watermarked download."""

import csv
import io
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.models import ShareLink
from datasets.models.sharing import hash_share_token
from datasets.services import add_storage_location, create_share_link, revoke_share_link
from datasets.watermark import CANARY_ROWS, find_leak_sources
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UNAVAILABLE = "The shared file is not available: ask the sender."


def links_url(dataset) -> str:
    return reverse("sharing:dataset_links", kwargs={"dataset_slug": dataset.slug})


def create_url(dataset) -> str:
    return reverse("sharing:create", kwargs={"dataset_slug": dataset.slug})


def download_url(token: str) -> str:
    return reverse("sharing:download", kwargs={"token": token})


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def version(dataset, make_version):
    return make_version(dataset, "v1")


@pytest.fixture
def issue(steward, version, csv_location, in_a_week):
    """``issue(**fields)`` creates a link to the CSV and returns (link, token)."""

    def build(**fields):
        values = {
            "recipient_name": "Rita Recipient",
            "recipient_organisation": "Partner Ltd",
            "purpose": "Churn study",
            "expires_at": in_a_week,
            "max_downloads": 3,
            **fields,
        }
        issued = create_share_link(actor=steward, version=version, **values)
        return issued.link, issued.token

    return build


def all_audit_text() -> str:
    return json.dumps([event.data for event in AuditEvent.objects.all()])


# --- The tab and issuing -------------------------------------------------------------------


def test_the_owner_issues_a_link_and_sees_its_url_exactly_once(steward, dataset, version, csv_location, in_a_week):
    client = verified_client(steward)
    assert client.get(create_url(dataset)).status_code == 200

    response = client.post(
        create_url(dataset),
        {
            "version": version.pk,
            "recipient_name": "Rita Recipient",
            "recipient_organisation": "Partner Ltd",
            "purpose": "Churn study",
            "expires_at": local(in_a_week),
            "max_downloads": "3",
        },
    )

    link = ShareLink.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    shown = page.split('<code id="share-link-url">')[1].split("</code>")[0]
    assert shown.startswith("http://testserver/share/d/")
    token = shown.removeprefix("http://testserver/share/d/").rstrip("/")
    assert link.token_hash == hash_share_token(token) and token not in link.token_hash
    event = AuditEvent.objects.get(action="share_link.created")
    assert event.data["recipient_organisation"] == "Partner Ltd" and token not in all_audit_text()
    # Never again: not on the tab, not on the version page.
    assert token not in client.get(links_url(dataset)).content.decode()
    assert token not in client.get(reverse("versions:detail", kwargs={"dataset_slug": dataset.slug, "label": "v1"})).content.decode()


def test_the_tab_lists_links_with_downloads_and_state(steward, dataset, issue, dpo):
    issue(recipient_name="Active Annie")
    revoked, _ = issue(recipient_name="Revoked Rob")
    revoke_share_link(actor=dpo, link=revoked)
    used, used_token = issue(recipient_name="Used Ursula", max_downloads=1)
    Client().post(download_url(used_token))

    response = verified_client(steward).get(links_url(dataset))

    page = response.content.decode()
    assert 'aria-current="page">Share links<' in page
    assert '<span class="badge badge-ok">Active</span>' in page
    assert '<span class="badge badge-bad">Revoked</span>' in page
    assert '<span class="badge badge-warn">All downloads used</span>' in page
    assert "<td>1 of 1</td>" in page and "<td>0 of 3</td>" in page
    assert page.count('action="/share/links/') == 2  # a revoke button for each link not yet revoked


def test_expired_links_show_as_expired(steward, dataset, issue):
    issue()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = verified_client(steward).get(links_url(dataset)).content.decode()
    assert '<span class="badge">Expired</span>' in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"expires_at": "2001-01-01T10:00"}, "expires_at", "The expiry must be in the future."),
        ({"expires_at": "soon"}, "expires_at", "Enter the expiry as a date and time, for example 2026-03-01 14:30."),
        ({"max_downloads": "0"}, "max_downloads", "Allow at least 1 download."),
        ({"purpose": ""}, "purpose", "This field is required."),
    ],
)
def test_bad_link_input_is_shown_on_its_field(change, field, message, steward, dataset, version, csv_location, in_a_week):
    data = {
        "version": version.pk,
        "recipient_name": "Rita",
        "recipient_organisation": "Partner",
        "purpose": "Study",
        "expires_at": local(in_a_week),
        **change,
    }
    response = verified_client(steward).post(create_url(dataset), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not ShareLink.objects.exists()


def test_a_dataset_without_a_readable_file_cannot_be_shared(steward, dataset, version, dpo, stores, in_a_week):
    client = verified_client(steward)
    assert "has no file location yet" in client.get(create_url(dataset)).content.decode()
    add_storage_location(
        actor=dpo, dataset=dataset, name="archive", kind="filesystem", path=str(stores / "absent.csv"), subject_key="external_id"
    )
    data = {"version": version.pk, "recipient_name": "R", "recipient_organisation": "P", "purpose": "S", "expires_at": local(in_a_week)}

    response = client.post(create_url(dataset), data)

    assert response.context["form"].errors["location"] == [f"{stores / 'absent.csv'} is not a file Custos can read, so it cannot be shared."]


def test_readers_may_not_share_or_revoke(client_for, dataset, issue):
    link, _ = issue()
    client, _ = client_for(Role.AUDITOR)
    assert client.get(create_url(dataset)).status_code == 403
    assert client.post(reverse("sharing:revoke", kwargs={"pk": link.pk})).status_code == 403
    assert "Revoke" not in client.get(links_url(dataset)).content.decode()
    link.refresh_from_db()
    assert link.revoked_at is None


def test_revoking_a_link(steward, dataset, issue):
    link, _ = issue()
    client = verified_client(steward)
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)

    with time_machine.travel(moment, tick=False):
        response = client.post(reverse("sharing:revoke", kwargs={"pk": link.pk}), {"reason": "Contract ended"}, follow=True)
        again = client.post(reverse("sharing:revoke", kwargs={"pk": link.pk}), follow=True)

    assert "The link for Rita Recipient (Partner Ltd) is revoked." in response.content.decode()
    assert AuditEvent.objects.get(action="share_link.revoked").data == {"version": link.version_id, "reason": "Contract ended"}
    assert "This share link was already revoked on 2 March 2026, 09:30." in again.content.decode()


# --- The recipient's download ----------------------------------------------------------------


def test_the_recipient_downloads_a_watermarked_copy_that_traces_back_to_the_link(issue, stores, make_user):
    link, token = issue()
    other, _ = issue(recipient_name="Someone else")

    response = Client().post(download_url(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="shop-customers-v1.csv"'
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["customer_id", "email", "name", "signed_up_on", "total_spent"]
    assert len(rows) == 1 + 40 + CANARY_ROWS
    leaked = stores / "leaked.csv"
    leaked.write_text(body)
    assert [(match.link, match.canaries_found) for match in find_leak_sources(leaked, [other, link])] == [(link, CANARY_ROWS)]

    link.refresh_from_db()
    assert link.download_count == 1
    event = AuditEvent.objects.get(action="share_link.downloaded")
    assert (event.actor_type, event.target_id) == ("anonymous", str(link.pk))
    assert event.data == {"version": link.version_id, "recipient_organisation": "Partner Ltd", "download": 1, "downloads_left": 2}
    assert token not in all_audit_text()


def test_opening_the_link_shows_what_it_offers_without_spending_a_download(issue, caplog):
    link, token = issue(max_downloads=3)

    with caplog.at_level(logging.DEBUG):
        response = Client(enforce_csrf_checks=True).get(download_url(token))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Data shared with you" in content and "Partner Ltd" in content
    assert "<dt>Downloads left</dt><dd>3</dd>" in content
    assert 'name="csrfmiddlewaretoken"' in content
    link.refresh_from_db()
    assert link.download_count == 0
    assert not AuditEvent.objects.filter(action="share_link.downloaded").exists()
    assert token not in caplog.text


def test_a_jsonl_file_is_served_as_json_lines(steward, dataset, version, stores, dpo, in_a_week):
    path = stores / "events.jsonl"
    path.write_text("".join(json.dumps({"customer_id": f"c{n}", "email": f"p{n}@example.org"}) + "\n" for n in range(5)))
    location = add_storage_location(
        actor=dpo, dataset=dataset, name="events", kind="filesystem", path=str(path), subject_key="external_id", subject_field="customer_id"
    )
    issued = create_share_link(
        actor=steward, version=version, location=location, recipient_name="R", recipient_organisation="P", purpose="S", expires_at=in_a_week
    )

    response = Client().post(download_url(issued.token))

    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="shop-customers-v1.jsonl"'
    records = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert len(records) == 5 + CANARY_ROWS and all(set(record) == {"customer_id", "email"} for record in records)


def test_a_signed_in_user_who_has_not_passed_mfa_may_still_download(issue, make_user):
    _link, token = issue()
    client = Client()
    client.force_login(make_user(Role.DPO))
    assert client.post(download_url(token)).status_code == 200


def test_the_link_is_dead_after_its_last_download(issue, caplog):
    link, token = issue(max_downloads=3)
    client = Client()
    for _ in range(3):
        assert client.post(download_url(token)).status_code == 200

    with caplog.at_level(logging.DEBUG):
        response = client.get(download_url(token))

    assert response.status_code == 410
    assert "This share link has been used for all of its 3 downloads." in response.content.decode()
    link.refresh_from_db()
    assert link.download_count == 3 and AuditEvent.objects.filter(action="share_link.downloaded").count() == 3
    assert token not in caplog.text


def test_a_revoked_link_says_when_it_was_revoked(issue, dpo, caplog):
    link, token = issue()
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=LONDON), tick=False):
        revoke_share_link(actor=dpo, link=link)

    with caplog.at_level(logging.DEBUG):
        response = Client().post(download_url(token))

    assert response.status_code == 410
    assert "This share link was revoked on 2 March 2026, 09:30." in response.content.decode()
    assert token not in caplog.text


def test_an_expired_link_says_when_it_expired(steward, version, csv_location):
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=LONDON), tick=False):
        issued = create_share_link(
            actor=steward,
            version=version,
            recipient_name="R",
            recipient_organisation="P",
            purpose="S",
            expires_at=datetime(2026, 3, 8, 17, 0, tzinfo=LONDON),
        )
    with time_machine.travel(datetime(2026, 3, 9, 8, 0, tzinfo=LONDON), tick=False):
        response = Client().post(download_url(issued.token))

    assert response.status_code == 410
    assert "This share link expired on 8 March 2026, 17:00." in response.content.decode()
    assert not AuditEvent.objects.filter(action="share_link.downloaded").exists()


def test_an_unknown_token_is_not_found_and_not_logged(caplog, db):
    token = "not-a-real-token-" + "x" * 20
    with caplog.at_level(logging.DEBUG):
        response = Client().post(download_url(token))
    assert response.status_code == 404
    assert "This share link does not exist." in response.content.decode()
    assert token not in caplog.text


def test_a_missing_file_is_not_served_and_not_counted(issue, csv_location, caplog):
    link, token = issue()
    Path(csv_location.path).unlink()

    with caplog.at_level(logging.DEBUG):
        response = Client().post(download_url(token))

    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()
    link.refresh_from_db()
    assert link.download_count == 0 and not AuditEvent.objects.filter(action="share_link.downloaded").exists()
    assert token not in caplog.text
    assert f"Share link {link.pk}: the file of location {csv_location.pk} cannot be served" in caplog.text
