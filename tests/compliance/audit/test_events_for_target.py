"""events_for_target: one record's events, for audit readers and for whoever may view that record."""

import pytest
from django.core.exceptions import PermissionDenied

from compliance.accounts.roles import Role
from compliance.audit.selectors import events_for_target
from compliance.audit.services import record_event
from datasets.services import create_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(make_user):
    owner = make_user(Role.DATA_STEWARD)
    dataset = create_dataset(actor=owner, name="Shop customers")
    record_event(actor=None, action="test.elsewhere", target=("datasets.dataset", dataset.pk + 1))
    return owner, dataset


def test_audit_readers_and_the_objects_viewers_read_its_events(make_user, owned):
    owner, dataset = owned
    for reader in (owner, make_user(Role.AUDITOR), make_user(Role.COMPLIANCE_MANAGER)):
        page = events_for_target(user=reader, target_type="datasets.dataset", target_id=dataset.pk)
        assert [event.action for event in page.events] == ["dataset.created"]


@pytest.mark.parametrize("role", [Role.DATA_STEWARD, Role.ML_ENGINEER, Role.EMPLOYEE])
def test_others_are_refused(role, make_user, owned):
    _, dataset = owned
    with pytest.raises(PermissionDenied, match="You may not read the history of this record."):
        events_for_target(user=make_user(role), target_type="datasets.dataset", target_id=dataset.pk)


def test_an_unknown_target_type_is_for_audit_readers_only(make_user):
    record_event(actor=None, action="test.thing", target=("nothing.here", "1"))
    assert len(events_for_target(user=make_user(Role.AUDITOR), target_type="nothing.here", target_id="1").events) == 1
    with pytest.raises(PermissionDenied):
        events_for_target(user=make_user(Role.DATA_STEWARD), target_type="nothing.here", target_id="1")


def test_keyset_pages_cost_one_query_each(make_user, owned, django_assert_num_queries):
    _, dataset = owned
    for number in range(5):
        record_event(actor=None, action="test.numbered", target=dataset, data={"number": number})
    auditor = make_user(Role.AUDITOR)
    auditor.has_perm("audit.view_auditevent")  # fills the permission cache, as the request's first check would

    with django_assert_num_queries(1):
        first = events_for_target(user=auditor, target_type="datasets.dataset", target_id=dataset.pk, limit=4)
    second = events_for_target(user=auditor, target_type="datasets.dataset", target_id=dataset.pk, limit=4, before=first.older_cursor)

    assert [event.data.get("number") for event in first.events] == [4, 3, 2, 1]
    assert [event.data.get("number") for event in second.events] == [0, None]
    assert second.older_cursor is None
