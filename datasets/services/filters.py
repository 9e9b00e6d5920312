"""Rebuilding a version's membership filter from its subject keys (legacy probe scheme, or a rotated-out key).

A Bloom filter cannot be rebuilt from its bits, and Custos never stores a
version's subject keys, so a rebuild needs the list given again by whoever holds
it. The list is checked against what the old filter says: every key given must
be "possibly present" in it when its key is still configured (a filter never
gives a false no, so a key it says absent was not in the version), and the
count of distinct keys must equal the filter's ``expected_items``.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from compliance.audit.services import record_event
from compliance.crypto.keyring import get_keyring
from datasets import permissions
from datasets.membership import build_filter, stored_filter_might_contain
from datasets.models import DatasetVersion, MembershipFilter
from datasets.models.choices import ProbeScheme
from datasets.services.errors import RegistryActionRefused


def filters_needing_rebuild() -> list[MembershipFilter]:
    """Return the stored filters built with the legacy probe scheme or under a key that is not the active one."""
    active = get_keyring().active.key_id
    rows = MembershipFilter.objects.select_related("version__dataset").order_by("version__dataset__slug", "version__label")
    return [row for row in rows if row.probe_scheme != ProbeScheme.SHAKE256 or row.key_id != active]


@transaction.atomic
def rebuild_membership_filter(*, actor, version: DatasetVersion, subject_keys: Iterable[str]) -> MembershipFilter:
    """Replace ``version``'s filter by one built from ``subject_keys`` with the current scheme and active key.

    Keeps the subject-key kind and the false-positive rate. Raises
    ValidationError (under ``subject_keys``) for bad lines, a count that is not
    the filter's, or a key the old filter says was not in the version; and
    RegistryActionRefused when the version has no filter.
    """
    permissions.require(
        actor,
        lambda user: permissions.can_change_dataset(user, version.dataset),
        f"You may not edit dataset {version.dataset.slug!r}.",
    )
    old = MembershipFilter.objects.select_for_update().filter(version=version).first()
    if old is None:
        raise RegistryActionRefused(f"Version {version} has no membership filter to rebuild.")
    keys = [str(value) for value in subject_keys if str(value).strip()]
    built = build_filter(keys, subject_key=old.subject_key, false_positive_rate=old.false_positive_rate)
    if built.expected_items != old.expected_items:
        raise ValidationError(
            {"subject_keys": [f"The list holds {built.expected_items} distinct subject keys; the filter of {version}"
                              f" was built from {old.expected_items}. Give the version's own list."]}
        )
    old_key_configured = old.key_id in get_keyring().by_id
    if old_key_configured:
        for value in keys:
            if not stored_filter_might_contain(old, value):
                raise ValidationError(
                    {"subject_keys": [f"The filter of {version} says a subject of the list was never in the version:"
                                      " this is not the version's list."]}
                )
    previous = {"probe_scheme": old.probe_scheme, "key_id": old.key_id, "size_bits": old.size_bits}
    old.bits = bytes(built.bloom.bits)
    old.size_bits = built.bloom.size_bits
    old.hash_count = built.bloom.hash_count
    old.key_id = built.key_id
    old.probe_scheme = built.bloom.probe_scheme
    old.save(update_fields=["bits", "size_bits", "hash_count", "key_id", "probe_scheme"])
    record_event(
        actor=actor,
        action="dataset_version.membership_filter_rebuilt",
        target=version,
        data={
            "dataset": version.dataset.slug,
            "label": version.label,
            "subjects": old.expected_items,
            "previous": previous,
            "checked_against_previous": old_key_configured,
            "probe_scheme": old.probe_scheme,
            "key_id": old.key_id,
            "size_bits": old.size_bits,
            "hash_count": old.hash_count,
        },
    )
    return old
