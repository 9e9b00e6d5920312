"""Bloom filters over blind indexes: sizing, no false negatives, a measured false-positive rate near the target."""

import math
import random

import pytest
from django.core.exceptions import ValidationError

from compliance.crypto.blind_index import blind_index_under
from compliance.crypto.keyring import get_keyring
from datasets.membership import (
    BloomFilter,
    ProbeScheme,
    build_filter,
    expected_rate,
    filter_of_indexes,
    optimal_parameters,
    realised_rate,
)


def test_sizing_follows_the_standard_formulas_grown_until_the_expected_rate_meets_the_target():
    formula = math.ceil(-10_000 * math.log(0.01) / math.log(2) ** 2)
    assert formula == 95_851 and expected_rate(formula, 7, 10_000) > 0.01  # rounding k misses the target
    size_bits, hash_count = optimal_parameters(10_000, 0.01)
    assert (size_bits, hash_count) == (96_330, 7) and hash_count == round(size_bits / 10_000 * math.log(2))
    assert expected_rate(size_bits, hash_count, 10_000) <= 0.01
    assert optimal_parameters(1, 0.001) == (15, 10)  # met by the formula: not grown
    for items in (1, 2, 10, 1_000, 10_000):
        for rate in (0.01, 0.001, 1e-9):
            assert expected_rate(*optimal_parameters(items, rate), items) <= rate


def test_a_two_subject_filter_at_a_tiny_rate_answers_absent_for_strangers():
    # 87 bits and 30 probes. Double hashing collapsed the probes of a step sharing a factor
    # with 87 onto 3 or 29 bits, and said "possibly present" for strangers far above the rate.
    assert optimal_parameters(2, 1e-9) == (87, 30)
    built = build_filter(["subject-a", "subject-b"], subject_key="external_id", false_positive_rate=1e-9)
    assert built.bloom.size_bits >= 87 and realised_rate(built.bloom) <= 1e-9
    strangers = sum(
        built.bloom.might_contain(f"stranger-{number}", kind="external_id", key_id=built.key_id) for number in range(5_000)
    )
    assert strangers == 0


def test_a_filter_stored_with_double_hashing_is_still_read_with_it():
    key_id = get_keyring().active.key_id
    index = blind_index_under("subject-1", "external_id", key_id)
    legacy = BloomFilter(87, 30, probe_scheme=ProbeScheme.DOUBLE_HASHING)
    legacy.add_index(index)
    raw = bytes.fromhex(index)
    first, step = int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:16], "big") | 1
    assert legacy.positions(index) == [(first + i * step) % 87 for i in range(30)]
    reread = BloomFilter(87, 30, bytes(legacy.bits), probe_scheme=ProbeScheme.DOUBLE_HASHING)
    assert reread.might_contain("subject-1", kind="external_id", key_id=key_id)
    with pytest.raises(ValueError, match="Unknown probe scheme 'triple'."):
        BloomFilter(87, 30, probe_scheme="triple")


ABSENT_TRIALS = 100_000


def _random_indexes(generator: random.Random, count: int) -> list[str]:
    # The blind index is a keyed PRF of the identifier, so uniform 128-bit values stand for any subjects.
    return [generator.getrandbits(128).to_bytes(16, "big").hex() for _ in range(count)]


@pytest.mark.parametrize("rate", [0.01, 0.001])
@pytest.mark.parametrize("members", [2, 10, 1_000, 10_000])
def test_the_measured_false_positive_rate_is_at_most_one_and_a_half_times_the_target_with_no_false_negative(members, rate):
    generator = random.Random(f"membership {members} {rate}")
    indexes = set(_random_indexes(generator, members))
    bloom = filter_of_indexes(indexes, false_positive_rate=rate)
    absent = [index for index in _random_indexes(generator, ABSENT_TRIALS) if index not in indexes]

    assert all(bloom.has_index(index) for index in indexes)
    assert len(absent) == ABSENT_TRIALS
    measured = sum(bloom.has_index(index) for index in absent) / ABSENT_TRIALS
    assert realised_rate(bloom) <= rate
    assert measured <= 1.5 * rate, f"{members} members at {rate}: {measured:.5f} over {ABSENT_TRIALS} absent keys"


def test_a_filter_built_from_identifiers_keeps_its_rate_end_to_end():
    members = [f"customer-{number}" for number in range(1_000)]
    built = build_filter(members, subject_key="external_id", false_positive_rate=0.01)
    key_id = built.key_id

    assert all(built.bloom.might_contain(member, kind="external_id", key_id=key_id) for member in members)
    false_positives = sum(
        built.bloom.might_contain(f"stranger-{number}", kind="external_id", key_id=key_id) for number in range(ABSENT_TRIALS)
    )
    assert false_positives / ABSENT_TRIALS <= 1.5 * 0.01


def test_the_filter_is_probed_at_the_blind_index_of_the_normalised_identifier():
    key_id = get_keyring().active.key_id
    built = build_filter(["Alice@Example.org"], subject_key="email", false_positive_rate=0.001)
    index = blind_index_under("alice@example.org", "email", key_id)
    bloom = BloomFilter(built.bloom.size_bits, built.bloom.hash_count, bytes(built.bloom.bits))
    assert bloom.has_index(index)
    positions = bloom.positions(index)
    assert len(positions) == built.bloom.hash_count and all(0 <= position < built.bloom.size_bits for position in positions)


def test_a_filter_built_under_an_old_key_still_answers_after_rotation(settings):
    old_key_id = get_keyring().active.key_id
    built = build_filter(["subject-1"], subject_key="external_id")
    settings.FIELD_ENCRYPTION_KEYS = ["A" * 43, *settings.FIELD_ENCRYPTION_KEYS]
    assert get_keyring().active.key_id != old_key_id

    assert built.bloom.might_contain("subject-1", kind="external_id", key_id=old_key_id)
    with pytest.raises(KeyError, match="No configured key has id 0000dead"):
        blind_index_under("subject-1", "external_id", "0000dead")


def test_a_bit_array_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="A filter of 100 bits needs 13 bytes, not 12."):
        BloomFilter(100, 3, bytes(12))


def test_bad_rates_are_refused():
    with pytest.raises(ValidationError, match="strictly between 0 and 0.5"):
        build_filter(["a"], subject_key="external_id", false_positive_rate=0)
