"""Rebuilding membership filters: legacy double-hashing filters and filters under a rotated-out key."""

import base64
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from compliance.audit.models import AuditEvent
from compliance.crypto.blind_index import blind_index_under
from datasets.membership import BloomFilter, optimal_parameters, stored_filter_might_contain
from datasets.models import MembershipFilter
from datasets.models.choices import ProbeScheme
from datasets.selectors import versions_matching_subject
from datasets.services import create_version
from datasets.services.filters import filters_needing_rebuild, rebuild_membership_filter

pytestmark = pytest.mark.django_db
MEMBERS = ["user-1", "user-2", "user-3"]


@pytest.fixture
def legacy(dataset, dpo):
    """A version whose filter is stored as the double-hashing scheme built it."""
    version = create_version(actor=dpo, dataset=dataset, label="v1", subject_keys=MEMBERS, false_positive_rate=0.01)
    membership = version.membership_filter
    size_bits, hash_count = optimal_parameters(len(MEMBERS), 0.01)
    bloom = BloomFilter(size_bits, hash_count, probe_scheme=ProbeScheme.DOUBLE_HASHING)
    for member in MEMBERS:
        bloom.add_index(blind_index_under(member, "external_id", membership.key_id))
    MembershipFilter.objects.filter(pk=membership.pk).update(
        bits=bytes(bloom.bits), size_bits=size_bits, hash_count=hash_count, probe_scheme=ProbeScheme.DOUBLE_HASHING
    )
    version.refresh_from_db()
    return version


def test_the_command_lists_legacy_filters_and_rebuilds_one_from_its_subject_keys(legacy, tmp_path, capsys):
    call_command("rebuild_membership_filters")
    listed = capsys.readouterr().out
    key_id = legacy.membership_filter.key_id
    assert f"{legacy.dataset.slug}@v1: scheme double-hashing, key {key_id} (configured), 3 subjects" in listed
    assert "1 filter(s) to rebuild with --dataset-version DATASET@LABEL --subject-keys FILE." in listed

    keys = tmp_path / "keys.txt"
    keys.write_text("user-3\nuser-1\n\nuser-2\n", encoding="utf-8")
    call_command("rebuild_membership_filters", "--dataset-version", f"{legacy.dataset.slug}@v1", "--subject-keys", str(keys))

    rebuilt = MembershipFilter.objects.get(version=legacy)
    assert rebuilt.probe_scheme == ProbeScheme.SHAKE256 and rebuilt.expected_items == 3
    assert all(stored_filter_might_contain(rebuilt, member) for member in MEMBERS)
    assert "Rebuilt the filter of" in capsys.readouterr().out
    event = AuditEvent.objects.get(action="dataset_version.membership_filter_rebuilt")
    assert event.data["previous"]["probe_scheme"] == "double-hashing" and event.data["checked_against_previous"] is True
    assert "user-1" not in str(event.data)
    assert filters_needing_rebuild() == []


def test_a_list_of_another_size_or_with_a_stranger_is_refused_and_nothing_changes(legacy, dpo):
    before = bytes(legacy.membership_filter.bits)
    with pytest.raises(ValidationError) as short:
        rebuild_membership_filter(actor=dpo, version=legacy, subject_keys=["user-1", "user-2"])
    assert short.value.message_dict["subject_keys"] == [
        f"The list holds 2 distinct subject keys; the filter of {legacy} was built from 3. Give the version's own list."
    ]
    strangers = [f"stranger-{n}" for n in range(40)]
    with pytest.raises(ValidationError):
        for offset in range(0, 40, 3):  # some stranger is certainly absent from a 1% filter
            rebuild_membership_filter(actor=dpo, version=legacy, subject_keys=strangers[offset : offset + 3])
    assert bytes(MembershipFilter.objects.get(version=legacy).bits) == before
    assert not AuditEvent.objects.filter(action="dataset_version.membership_filter_rebuilt").exists()


def test_the_command_refuses_a_missing_version_readably(legacy, tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("user-1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No version 'nope@v1': name it as <dataset slug>@<label>."):
        call_command("rebuild_membership_filters", "--dataset-version", "nope@v1", "--subject-keys", str(keys))
    with pytest.raises(CommandError, match="Give both --dataset-version"):
        call_command("rebuild_membership_filters", "--dataset-version", "nope@v1")


def test_after_the_old_key_is_removed_a_rebuild_makes_the_filter_answer_again(legacy, settings, tmp_path, capsys):
    old_key_id = legacy.membership_filter.key_id
    settings.FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")]
    assert versions_matching_subject(identifiers={"external_id": "user-1"}).unreadable == []  # not used by a run
    call_command("rebuild_membership_filters")
    assert f"key {old_key_id} (NO LONGER CONFIGURED: the filter cannot answer)" in capsys.readouterr().out

    keys = tmp_path / "keys.txt"
    keys.write_text("\n".join(MEMBERS), encoding="utf-8")
    call_command("rebuild_membership_filters", "--dataset-version", f"{legacy.dataset.slug}@v1", "--subject-keys", str(keys))

    rebuilt = MembershipFilter.objects.get(version=legacy)
    assert rebuilt.key_id != old_key_id and stored_filter_might_contain(rebuilt, "user-2")
    event = AuditEvent.objects.get(action="dataset_version.membership_filter_rebuilt")
    assert event.data["checked_against_previous"] is False and event.data["previous"]["key_id"] == old_key_id
