"""Audit-log reads are for those who hold audit.view_auditevent, and cost a fixed number of queries."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from compliance.accounts.roles import Role
from compliance.audit import selectors
from compliance.audit.models import AuditCheckpoint, ChainVerification
from compliance.audit.services import record_checkpoint, record_event
from tests.compliance.audit.chain import append_chain

pytestmark = pytest.mark.django_db

NO_FILTERS = selectors.EventFilters()


@pytest.mark.parametrize("role", [Role.DATA_STEWARD, Role.ML_ENGINEER, Role.EMPLOYEE, None])
def test_readers_without_the_permission_are_refused(make_user, role):
    user = make_user(role)
    event = record_event(actor=None, action="test.secret")

    with pytest.raises(PermissionDenied):
        selectors.events_for_user(user=user, filters=NO_FILTERS)
    with pytest.raises(PermissionDenied):
        selectors.event_page(user=user, filters=NO_FILTERS)
    with pytest.raises(PermissionDenied):
        selectors.event_detail_for_user(user=user, sequence=event.sequence)


@pytest.mark.parametrize("role", [Role.DPO, Role.COMPLIANCE_MANAGER, Role.AUDITOR])
def test_staff_readers_see_every_event(make_user, role):
    user = make_user(role)
    append_chain(3)

    assert selectors.events_for_user(user=user, filters=NO_FILTERS).count() >= 3


def test_a_missing_event_is_404(make_user):
    with pytest.raises(Http404, match="There is no audit event #99."):
        selectors.event_detail_for_user(user=make_user(Role.AUDITOR), sequence=99)


def test_a_page_costs_two_queries_whatever_the_cursor(make_user, django_assert_num_queries):
    user = make_user(Role.AUDITOR)
    user.has_perm("audit.view_auditevent")  # load the permission cache outside the count
    append_chain(130)
    head = selectors.chain_status().head.sequence

    with django_assert_num_queries(1):
        newest = selectors.event_page(user=user, filters=NO_FILTERS)
    with django_assert_num_queries(2):
        middle = selectors.event_page(user=user, filters=NO_FILTERS, before=newest.older_cursor)
    with django_assert_num_queries(2):
        back = selectors.event_page(user=user, filters=NO_FILTERS, after=middle.newer_cursor)

    assert [event.sequence for event in newest.events] == list(range(head, head - 50, -1))
    assert (newest.newer_cursor, newest.older_cursor) == (None, head - 49)
    assert [event.sequence for event in middle.events] == list(range(head - 50, head - 100, -1))
    assert (middle.newer_cursor, middle.older_cursor) == (head - 50, head - 99)
    assert back == newest


def test_chain_status_gives_the_latest_of_each():
    event = record_event(actor=None, action="test.any")
    record_checkpoint(sequence=event.sequence, hash=event.hash, reason=AuditCheckpoint.Reason.SCHEDULE)
    older = ChainVerification.objects.create(intact=False, event_count=0, first_bad_sequence=1)
    newer = ChainVerification.objects.create(intact=True, event_count=1, head_hash=event.hash)

    status = selectors.chain_status()

    assert status.last_verification == newer != older
    assert (status.head.sequence, status.head.hash) == (event.sequence, event.hash)
    assert status.last_checkpoint.sequence == event.sequence
