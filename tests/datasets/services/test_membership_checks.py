"""Asking a version's membership filter about one subject: answers, refusals, and an audit trail without the identifier."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from compliance.audit.models import AuditEvent
from datasets.services import RegistryActionRefused, check_version_membership, create_version

pytestmark = pytest.mark.django_db


# Ofcom's drama range: 50 numbers, at a rate so low that a "not present" answer below cannot be a false positive.
NUMBERS = [f"+44 20 7946 {n:04d}" for n in range(50)]


@pytest.fixture
def version(dataset, dpo):
    return create_version(
        actor=dpo, dataset=dataset, label="v1", subject_keys=NUMBERS, subject_key="phone", false_positive_rate=1e-9
    )


def test_the_filter_answers_and_the_lookup_is_audited_without_the_number(version, steward):
    assert check_version_membership(actor=steward, version=version, subject_key="phone", value="+442079460000") is True
    assert check_version_membership(actor=steward, version=version, subject_key="phone", value="+44 20 7946 0999") is False

    events = AuditEvent.objects.filter(action="dataset_version.membership_checked").order_by("sequence")
    assert [event.data["answer"] for event in events] == ["possibly_present", "not_present"]
    logged = json.dumps([event.data for event in events])
    assert "2079460000" not in logged and "2079460999" not in logged and "7946 0" not in logged


def test_refusals(version, dataset, dpo, other_steward):
    bare = create_version(actor=dpo, dataset=dataset, label="v2")
    with pytest.raises(RegistryActionRefused, match="^Version shop-customers@v2 has no membership filter, so it cannot answer for a subject.$"):
        check_version_membership(actor=dpo, version=bare, subject_key="phone", value="+44 20 7946 0000")
    with pytest.raises(RegistryActionRefused, match="is keyed by phone number: look the subject up by their phone number.$"):
        check_version_membership(actor=dpo, version=version, subject_key="email", value="a@example.org")
    with pytest.raises(ValidationError) as excinfo:
        check_version_membership(actor=dpo, version=version, subject_key="phone", value="call me")
    assert list(excinfo.value.message_dict) == ["value"]
    with pytest.raises(PermissionDenied):
        check_version_membership(actor=other_steward, version=version, subject_key="phone", value="+44 20 7946 0000")
    assert not AuditEvent.objects.filter(action="dataset_version.membership_checked").exists()


def test_a_filter_under_a_removed_key_says_so(version, dpo):
    version.membership_filter.key_id = "gone"
    version.membership_filter.save(update_fields=["key_id"])
    with pytest.raises(RegistryActionRefused, match="was built under key gone, which is no longer configured"):
        check_version_membership(actor=dpo, version=version, subject_key="phone", value="+44 20 7946 0000")
