"""The audit-log page, an event's page, and "Verify now"."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditCheckpoint, AuditEvent, ChainHead, ChainVerification
from compliance.audit.services import record_event
from tests.compliance.audit.chain import append_chain, triggers_lifted

pytestmark = pytest.mark.django_db

LIST_URL = reverse("audit:event_list")
EVENT_LINK = re.compile(r'href="/audit/(\d+)/"')


def _shown(response) -> list[int]:
    """Sequence numbers of the table rows, top to bottom."""
    return [int(number) for number in EVENT_LINK.findall(response.content.decode())]


def _head() -> int:
    return ChainHead.objects.get(pk=1).sequence


@pytest.fixture
def auditor(client_for):
    client, _ = client_for(Role.AUDITOR, username="aud")
    return client


def test_the_log_lists_events_newest_first_with_their_details(auditor, make_user):
    steward = make_user(Role.DATA_STEWARD, username="stew")
    older = record_event(actor=steward, action="dataset.registered", target=("datasets.dataset", 7), data={"b": 2, "a": 1})
    newer = record_event(actor=None, action="erasure.approved")

    response = auditor.get(LIST_URL)

    assert response.status_code == 200
    assert _shown(response)[:2] == [newer.sequence, older.sequence]
    content = response.content.decode()
    assert "<code>dataset.registered</code>" in content
    assert "<code>datasets.dataset</code> 7" in content
    assert "<div><dt>A</dt><dd>1</dd></div><div><dt>B</dt><dd>2</dd></div>" in content  # labelled fields, not JSON
    assert f'<code title="{older.hash}">{older.hash[:12]}</code>' in content
    assert 'system <span class="badge">System</span>' in content


def test_actor_filter_matches_part_of_a_username(auditor, make_user):
    make_user(Role.DPO, username="grace.hopper")
    kept = record_event(actor=make_user(Role.DPO, username="ada.lovelace"), action="test.by_ada")
    dropped = record_event(actor=None, action="test.by_system")

    response = auditor.get(LIST_URL, {"actor": "LOVELACE"})

    assert kept.sequence in _shown(response)
    assert dropped.sequence not in _shown(response)
    assert all(event.actor_label == "ada.lovelace" for event in AuditEvent.objects.filter(sequence__in=_shown(response)))


def test_action_filter_matches_the_start_of_the_name(auditor):
    kept = record_event(actor=None, action="auth.login_failed")
    dropped = record_event(actor=None, action="test.auth.login")

    shown = _shown(auditor.get(LIST_URL, {"action": "auth."}))

    assert kept.sequence in shown
    assert dropped.sequence not in shown
    assert set(AuditEvent.objects.filter(sequence__in=shown).values_list("action", flat=True)) <= {
        "auth.login",
        "auth.login_failed",
    }


def test_target_filter_needs_type_and_id_to_match_exactly(auditor):
    kept = record_event(actor=None, action="test.target", target=("datasets.dataset", "ds-7"))
    other_id = record_event(actor=None, action="test.target", target=("datasets.dataset", "ds-70"))
    other_type = record_event(actor=None, action="test.target", target=("datasets.mlmodel", "ds-7"))

    assert _shown(auditor.get(LIST_URL, {"target_type": "datasets.dataset", "target_id": "ds-7"})) == [kept.sequence]
    assert _shown(auditor.get(LIST_URL, {"target_type": "datasets.dataset"})) == [other_id.sequence, kept.sequence]
    assert _shown(auditor.get(LIST_URL, {"target_id": "ds-7"})) == [other_type.sequence, kept.sequence]


def test_period_is_whole_days_in_the_organisation_time_zone(auditor):
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
    with time_machine.travel(datetime(2026, 7, 1, 22, 30, tzinfo=UTC), tick=False):
        first_of_july = record_event(actor=None, action="test.period")
    with time_machine.travel(datetime(2026, 7, 1, 23, 30, tzinfo=UTC), tick=False):
        second_of_july = record_event(actor=None, action="test.period")

    only_second = {"action": "test.period", "period_from": "2026-07-02", "period_to": "2026-07-02"}
    only_first = {"action": "test.period", "period_to": "2026-07-01"}
    assert _shown(auditor.get(LIST_URL, only_second)) == [second_of_july.sequence]
    assert _shown(auditor.get(LIST_URL, only_first)) == [first_of_july.sequence]
    assert _shown(auditor.get(LIST_URL, {"action": "test.period", "period_from": "2026-07-03"})) == []


def test_a_period_that_ends_before_it_starts_is_explained(auditor):
    response = auditor.get(LIST_URL, {"period_from": "2026-07-02", "period_to": "2026-07-01"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "The last day is before the first day: swap them or widen the period." in content
    assert "No events are shown until the filters above are corrected." in content
    assert _shown(response) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period_from": "yesterday"}, "Enter the first day as a date, for example 2026-01-31."),
        ({"period_to": "31/01/2026x"}, "Enter the last day as a date, for example 2026-01-31."),
        (
            {"before": "abc"},
            "This page link is broken: its position must be an event&#x27;s sequence number. "
            "Start again from the newest events.",
        ),
        (
            {"after": str(2**64)},
            "This page link is broken: its position must be an event&#x27;s sequence number. "
            "Start again from the newest events.",
        ),
        (
            {"before": "5", "after": "2"},
            "This page link is broken: it asks for events both before and after a point. "
            "Start again from the newest events.",
        ),
    ],
    ids=["bad-from", "bad-to", "bad-cursor", "huge-cursor", "two-cursors"],
)
def test_bad_input_is_explained_not_a_server_error(auditor, query, message):
    response = auditor.get(LIST_URL, query)

    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_last_possible_day_ends_no_period(auditor):
    event = record_event(actor=None, action="test.far_future")

    response = auditor.get(LIST_URL, {"action": "test.far_future", "period_from": "0001-01-01", "period_to": "9999-12-31"})

    assert response.status_code == 200
    assert _shown(response) == [event.sequence]


def test_keyset_pages_go_older_and_newer_and_keep_the_filters(auditor):
    start = _head()
    append_chain(120)
    newest = start + 120

    first = auditor.get(LIST_URL)
    assert _shown(first) == list(range(newest, newest - 50, -1))
    assert "Newer</a>" not in first.content.decode()
    assert f'href="?before={newest - 49}" rel="next">Older</a>' in first.content.decode()

    second = auditor.get(LIST_URL, {"before": newest - 49})
    assert _shown(second) == list(range(newest - 50, newest - 100, -1))
    assert f'href="?after={newest - 50}" rel="prev">Newer</a>' in second.content.decode()

    newer_again = auditor.get(LIST_URL, {"after": newest - 50})
    assert _shown(newer_again) == _shown(first)
    assert "Newer</a>" not in newer_again.content.decode()

    filtered = auditor.get(LIST_URL, {"action": "test.bulk", "before": newest - 99})
    assert _shown(filtered) == list(range(newest - 100, start, -1))
    content = filtered.content.decode()
    assert "Older</a>" not in content
    assert f'href="?action=test.bulk&amp;after={newest - 100}" rel="prev">Newer</a>' in content


def test_a_page_past_the_oldest_event_still_links_back(auditor):
    append_chain(3)

    response = auditor.get(LIST_URL, {"before": 1})

    assert _shown(response) == []
    assert "No events match these filters." in response.content.decode()
    assert 'href="?after=0" rel="prev">Newer</a>' in response.content.decode()


@pytest.mark.parametrize("events", [10, 1000])
def test_the_list_costs_the_same_queries_at_10_and_1000_events(auditor, django_assert_max_num_queries, events):
    append_chain(events)
    record_event(actor=None, action="test.verified")
    ChainVerification.objects.create(intact=True, event_count=events, head_hash="c" * 64)
    AuditCheckpoint.objects.create(sequence=events, hash="c" * 64, reason="manual")
    auditor.get(LIST_URL)  # settle the session bookkeeping of a first request
    before = _head() - 5

    # Request and session (8), the page and its "newer" probe (2), the chain-status panel (3), the shell (1),
    # the shell's training-roster lookup (1: My training and the training gate share it).
    with django_assert_max_num_queries(15):
        response = auditor.get(LIST_URL, {"before": before})

    assert _shown(response) == list(range(before - 1, max(before - 51, 0), -1))


def test_chain_status_panel_shows_verification_head_and_checkpoint(auditor):
    append_chain(4)
    head = ChainHead.objects.get(pk=1)
    ChainVerification.objects.create(
        intact=False, event_count=2, head_hash="d" * 64, first_bad_sequence=3, message="Event #3 was altered."
    )
    AuditCheckpoint.objects.create(sequence=2, hash="e" * 64, reason=AuditCheckpoint.Reason.SCHEDULE)

    content = auditor.get(LIST_URL).content.decode()

    assert '<span class="badge badge-bad">Broken</span>' in content
    assert "#3: Event #3 was altered." in content
    assert f"#{head.sequence} <code>{head.hash}</code>" in content
    assert f"#2 <code>{'e' * 64}</code>, scheduled verification" in content
    assert ">Verify now</button>" in content


def test_chain_status_before_any_verification(auditor):
    content = auditor.get(LIST_URL).content.decode()

    assert '<span class="badge badge-warn">Never verified</span>' in content
    assert "None yet" in content


def test_verify_now_records_the_outcome_and_says_it(client_for):
    client, user = client_for(Role.COMPLIANCE_MANAGER, username="cm")
    append_chain(5)
    head = ChainHead.objects.get(pk=1)

    response = client.post(reverse("audit:verify"), follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    summary = f"Audit chain intact: {head.sequence} events, head #{head.sequence} sha256 {head.hash}"
    assert f'<li class="message message-success">{summary}</li>' in response.content.decode()
    verification = ChainVerification.objects.get()
    assert (verification.intact, verification.event_count) == (True, head.sequence)
    assert AuditCheckpoint.objects.get().reason == "manual"
    event = AuditEvent.objects.get(action="audit.chain_verified")
    assert (event.actor_type, event.actor_id, event.actor_label) == ("user", str(user.pk), "cm")
    assert '<span class="badge badge-ok">Intact</span>' in response.content.decode()


def test_verify_now_on_a_broken_chain_says_where(auditor):
    append_chain(5)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=3).delete()

    response = auditor.post(reverse("audit:verify"), follow=True)

    assert '<li class="message message-error">Audit chain BROKEN at #3: Event #3 is missing.</li>' in (
        response.content.decode()
    )
    assert not AuditCheckpoint.objects.exists()


def test_verify_now_is_post_only(auditor):
    assert auditor.get(reverse("audit:verify")).status_code == 405
    assert not ChainVerification.objects.exists()


def test_a_role_without_the_permission_is_refused_and_the_refusal_audited(client_for):
    client, user = client_for(Role.DATA_STEWARD)

    response = client.get(LIST_URL)

    assert response.status_code == 403
    refusal = AuditEvent.objects.get(action="auth.permission_denied")
    assert refusal.actor_id == str(user.pk)
    assert refusal.data["path"] == LIST_URL


def test_event_page_shows_the_event_and_that_it_recomputes(auditor):
    event = record_event(actor=None, action="dataset.registered", target=("datasets.dataset", 7), data={"rows": 12})

    response = auditor.get(reverse("audit:event_detail", args=[event.sequence]))

    content = response.content.decode()
    assert f"<h1>Audit event #{event.sequence}</h1>" in content
    assert f"<code>{event.prev_hash}</code>" in content
    assert f"<code>{event.hash}</code>" in content
    assert "Hash recomputes" in content
    assert f"Follows event #{event.sequence - 1}" in content
    assert "&quot;rows&quot;: 12" in content


def test_event_page_shows_an_altered_event_and_a_missing_predecessor(auditor):
    start = _head()
    append_chain(3)
    with triggers_lifted():
        AuditEvent.objects.filter(sequence=start + 3).update(data={"number": 99})
        AuditEvent.objects.filter(sequence=start + 2).delete()

    content = auditor.get(reverse("audit:event_detail", args=[start + 3])).content.decode()

    assert "Hash does not recompute" in content
    assert f"Event #{start + 2} is missing" in content


def test_the_first_event_starts_the_chain(auditor):
    record_event(actor=None, action="test.any")

    content = auditor.get(reverse("audit:event_detail", args=[1])).content.decode()

    assert "Starts the chain" in content


def test_an_event_that_does_not_exist_is_404(auditor):
    assert auditor.get(reverse("audit:event_detail", args=[_head() + 10])).status_code == 404


def test_payloads_show_whole_as_labelled_fields_not_raw_json(auditor):
    record_event(actor=None, action="test.long", data={"note": "x" * 200, "assessment_id": 7, "refs": ["Art. 1", "Art. 2"], "reviewed": False})

    content = auditor.get(LIST_URL, {"action": "test.long"}).content.decode()

    assert "<div><dt>Note</dt><dd>" + "x" * 200 + "</dd></div>" in content  # nothing cut
    assert "<div><dt>Assessment id</dt><dd>7</dd></div>" in content
    assert "<div><dt>Refs</dt><dd>Art. 1, Art. 2</dd></div>" in content
    assert "<div><dt>Reviewed</dt><dd>no</dd></div>" in content
    assert "&quot;note&quot;" not in content  # no raw JSON in the table


def test_a_sequence_number_too_large_for_the_database_is_404(auditor):
    assert auditor.get(reverse("audit:event_detail", args=[2**64])).status_code == 404
