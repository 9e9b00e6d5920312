"""The history tab: the dataset's audit events, newest first, a page at a time."""

import pytest
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.services import record_event
from datasets.services import update_dataset

pytestmark = pytest.mark.django_db


def history(dataset) -> str:
    return reverse("datasets:history", kwargs={"slug": dataset.slug})


def test_the_owner_reads_the_datasets_events_newest_first(client_of, dataset, make_dataset, steward):
    update_dataset(actor=steward, dataset=dataset, changes={"retention_days": 30})
    make_dataset("Someone else's")

    response = client_of(steward).get(history(dataset))

    assert response.status_code == 200
    assert [event.action for event in response.context["page"].events] == ["dataset.updated", "dataset.created"]
    page = response.content.decode()
    assert "retention_days" in page
    # A steward cannot open the audit log itself, so the events are not links into it.
    assert reverse("audit:event_detail", args=[response.context["page"].events[0].sequence]) not in page


def test_an_auditor_can_follow_an_event_into_the_audit_log(client_for, dataset):
    response = client_for(Role.AUDITOR)[0].get(history(dataset))
    event = response.context["page"].events[0]
    assert reverse("audit:event_detail", args=[event.sequence]) in response.content.decode()


def test_pages_of_fifty_with_an_older_link(client_of, dataset, steward):
    for number in range(60):
        record_event(actor=steward, action="dataset.noted", target=dataset, data={"number": number})
    client = client_of(steward)

    first = client.get(history(dataset))
    events = first.context["page"].events
    cursor = first.context["page"].older_cursor
    assert len(events) == 50 and events[0].data == {"number": 59}
    assert f'href="?before={cursor}"' in first.content.decode()

    second = client.get(history(dataset), {"before": cursor})
    assert [event.data.get("number") for event in second.context["page"].events] == [*range(9, -1, -1), None]
    assert second.context["page"].older_cursor is None
    assert f'href="{history(dataset)}">Newest</a>' in second.content.decode()


@pytest.mark.parametrize("before", ["x", "0", str(2**64)])
def test_a_broken_page_link_is_explained(before, client_of, dataset, steward):
    response = client_of(steward).get(history(dataset), {"before": before})
    assert response.status_code == 200
    assert "This page link is broken. Start again from the newest events." in response.content.decode()


def test_another_steward_gets_not_found(client_of, dataset, other_steward):
    assert client_of(other_steward).get(history(dataset)).status_code == 404
