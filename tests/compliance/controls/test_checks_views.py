"""The automated checks' pages: overview, a check's timeline and failing objects, Run now; the home card."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent
from compliance.controls import check_services, queue
from compliance.controls.models import CheckResult, Control
from datasets.services import create_dataset
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

LIST = reverse("controls:check_list")
RUN = reverse("controls:check_run")
OWNER_CHECK = reverse("controls:check_detail", args=["datasets.owner_assigned"])


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, username="auditor")


@pytest.fixture
def orphan(make_user):
    return create_dataset(actor=make_user(Role.DPO, username="dpo"), name="Orphaned export")


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def results(key: str, statuses: list[str], *, start=None) -> list[CheckResult]:
    """Store results of ``key`` an hour apart, oldest first, with ``statuses`` in that order."""
    start = start or timezone.now() - timedelta(hours=len(statuses))
    return CheckResult.objects.bulk_create(
        CheckResult(check_key=key, ran_at=start + timedelta(hours=hour), status=status, summary=f"{status} #{hour}", run_by="beat")
        for hour, status in enumerate(statuses)
    )


def test_the_overview_lists_every_check_with_its_latest_result_and_controls(manager, orphan):
    Control.objects.create(code="CTL-OWN", title="Datasets have owners", checks=["datasets.owner_assigned"])
    check_services.run_checks(actor=SystemActor("beat"), keys=["datasets.owner_assigned"])

    response = verified_client(manager).get(LIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Every dataset has an owner" in content and "<code class=\"muted\">datasets.owner_assigned</code>" in content
    assert '<span class="badge badge-bad">Fail</span>' in content
    assert "1 of 1 dataset is without an owner." in content
    assert "See the 1 failing" in content and "by beat" in content
    assert f'href="{reverse("controls:control_detail", args=["CTL-OWN"])}"' in content
    assert '<span class="badge badge-bad">Failing</span>' in content
    # Checks that never ran say so rather than passing.
    assert content.count("Not run yet.") == 14
    assert "<strong>15 checks:</strong> 1 failing, 0 passing, 0 with no data, 14 not run yet." in content
    assert "Run all checks now" in content


def test_readers_see_the_checks_without_the_run_button(auditor):
    response = verified_client(auditor).get(LIST)

    assert response.status_code == 200
    assert "Run all checks now" not in response.content.decode()


def test_a_check_page_shows_its_failing_objects_linked_and_its_timeline_newest_first(manager, orphan):
    results("datasets.owner_assigned", ["pass", "no_data", "error"])
    check_services.run_checks(actor=manager, keys=["datasets.owner_assigned"])

    response = verified_client(manager).get(OWNER_CHECK)

    assert response.status_code == 200
    content = response.content.decode()
    assert '<a href="/datasets/orphaned-export/">Orphaned export</a>' in content
    cells = [content.index(f"check-cell check-cell-{status}") for status in ("fail", "error", "no_data", "pass")]
    assert cells == sorted(cells)
    assert f"by {manager.get_username()}" in content and "Run this check now" in content
    assert [result.status for result in response.context["page"].object_list] == ["fail", "error", "no_data", "pass"]


def test_the_timeline_is_paged(auditor):
    results("datasets.owner_assigned", ["pass"] * 100 + ["fail"])
    client = verified_client(auditor)

    first = client.get(OWNER_CHECK)
    second = client.get(OWNER_CHECK, {"page": 2})

    assert len(first.context["page"].object_list) == 96 and first.context["page"].object_list[0].status == "fail"
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2" in second.content.decode()
    assert "Run this check now" not in first.content.decode()


def test_an_unknown_check_is_404(auditor):
    response = verified_client(auditor).get(reverse("controls:check_detail", args=["datasets.teleported"]))

    assert response.status_code == 404


def test_run_now_queues_every_check_after_commit_and_says_so(manager, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(queue.current_app, "send_task", lambda name, args=None, kwargs=None, **options: sent.append((name, kwargs)))

    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(manager).post(RUN, follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert _messages(response) == ["Queued: every check runs in the background. Reload this page in a minute to see the results."]
    assert sent == [("controls.run_checks", {"user_id": manager.pk, "keys": None})]
    event = AuditEvent.objects.get(action="controls.checks_requested")
    assert (event.actor_label, event.data) == (manager.get_username(), {"keys": "all"})


def test_run_now_on_one_check_comes_back_to_its_page(manager, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(queue.current_app, "send_task", lambda name, args=None, kwargs=None, **options: sent.append((name, kwargs)))

    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(manager).post(RUN, {"key": "datasets.owner_assigned"}, follow=True)

    assert response.redirect_chain == [(OWNER_CHECK, 302)]
    assert _messages(response) == [
        "Queued: the check datasets.owner_assigned runs in the background. Reload this page in a minute to see its result."
    ]
    assert sent == [("controls.run_checks", {"user_id": manager.pk, "keys": ["datasets.owner_assigned"]})]


def test_run_now_with_an_unknown_key_says_which_and_queues_nothing(manager, monkeypatch):
    sent = []
    monkeypatch.setattr(queue.current_app, "send_task", lambda name, args=None, kwargs=None, **options: sent.append((name, kwargs)))

    response = verified_client(manager).post(RUN, {"key": "datasets.teleported"}, follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert _messages(response)[0].startswith("Unknown check: datasets.teleported. Known checks: accounts.privileged_mfa,")
    assert sent == [] and not AuditEvent.objects.filter(action="controls.checks_requested").exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DPO])
def test_readers_may_not_run_checks(make_user, role):
    response = verified_client(make_user(role)).post(RUN)

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="controls.checks_requested").exists()


@pytest.mark.parametrize("page", [LIST, OWNER_CHECK])
def test_the_pages_make_the_same_queries_for_10_and_1000_results(auditor, django_assert_max_num_queries, page):
    client = verified_client(auditor)
    for key in ("datasets.owner_assigned", "crypto.key_age"):
        results(key, ["pass", "fail"] * 5)
    Control.objects.create(code="CTL-A", title="A", checks=["datasets.owner_assigned", "crypto.key_age"])
    client.get(page)  # warm the session and permission caches

    with CaptureQueriesContext(connection) as ten:
        assert client.get(page).status_code == 200
    for key in ("datasets.owner_assigned", "crypto.key_age"):
        results(key, ["fail", "pass"] * 500, start=timezone.now() - timedelta(days=200))

    with django_assert_max_num_queries(len(ten)):
        assert client.get(page).status_code == 200


def test_the_home_card_counts_failing_checks_and_controls(make_user, orphan):
    Control.objects.create(code="CTL-OWN", title="Datasets have owners", checks=["datasets.owner_assigned"])
    check_services.run_checks(actor=SystemActor("beat"), keys=["datasets.owner_assigned", "training.staff_current"])

    # The DPO keeps the card home page (managers land on the dashboard).
    content = verified_client(make_user(Role.DPO)).get(reverse("home")).content.decode()

    assert "Automated checks" in content
    assert "1 of 15 checks failing, 1 control failing. 13 not run yet." in content
    assert f'href="{LIST}"' in content


def test_the_home_card_is_not_shown_to_those_who_may_not_read_checks(make_user):
    content = verified_client(make_user(Role.DATA_STEWARD)).get(reverse("home")).content.decode()

    assert "Automated checks" not in content
