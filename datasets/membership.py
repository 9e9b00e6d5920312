"""Bloom filters over subjects' blind indexes: "was subject S in version V?" without the data.

Sizing follows the standard formulas for ``n`` items at false-positive rate
``p``: ``m = -n ln p / (ln 2)^2`` bits and ``k = (m / n) ln 2`` hash functions.

The ``k`` positions of a subject are ``k`` independent draws: consecutive 64-bit
words of SHAKE-256 over the subject's 128-bit blind index, each taken mod ``m``
(``ProbeScheme.SHAKE256``). The blind index is already a keyed pseudo-random
function of the identifier, so the filter holds nothing an attacker without the
key can test identifiers against.

Filters built before that scheme used double hashing (Kirsch and Mitzenmacher),
``g_i = h1 + i * h2 mod m`` over the index's two 64-bit halves, with an odd
``h2`` (``ProbeScheme.DOUBLE_HASHING``). They are still read with it, so they
never answer a false "absent"; but they are not built any more: when ``m`` is not
a power of two, a step sharing a factor with ``m`` collapses the ``k`` probes onto
a few bits, and even when it is, small filters' probe sets are arithmetic
progressions that overlap far more often than independent draws do. A two-subject
filter at a rate of 1e-9 said "possibly present" for strangers.
"""

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from compliance.crypto.blind_index import NormalisationError, blind_index_under
from compliance.crypto.keyring import get_keyring
from datasets.models.choices import ProbeScheme

DEFAULT_FALSE_POSITIVE_RATE = 0.001
# Listing every bad line of a million-line upload helps nobody.
MAX_REPORTED_BAD_KEYS = 5


def optimal_parameters(expected_items: int, false_positive_rate: float) -> tuple[int, int]:
    """Return (m bits, k hash functions) for ``expected_items`` at ``false_positive_rate``."""
    if expected_items < 1:
        raise ValueError("A Bloom filter needs at least one item.")
    if not 0 < false_positive_rate < 0.5:
        raise ValueError("The false-positive rate must lie strictly between 0 and 0.5.")
    size_bits = math.ceil(-expected_items * math.log(false_positive_rate) / (math.log(2) ** 2))
    size_bits = max(size_bits, 8)
    hash_count = _hash_count(size_bits, expected_items)
    # m and k are rounded, so the formula's m can miss the rate (10,000 at 1% gives 1.0034%):
    # grow m until the expected rate (1 - e^(-kn/m))^k is at or below it.
    while expected_rate(size_bits, hash_count, expected_items) > false_positive_rate:
        size_bits += max(1, size_bits // 200)
        hash_count = _hash_count(size_bits, expected_items)
    return size_bits, hash_count


def _hash_count(size_bits: int, items: int) -> int:
    return max(1, round(size_bits / items * math.log(2)))


def expected_rate(size_bits: int, hash_count: int, items: int) -> float:
    """Return the expected false-positive rate ``(1 - e^(-kn/m))^k`` of ``items`` in ``size_bits`` bits."""
    return (1 - math.exp(-hash_count * items / size_bits)) ** hash_count


def realised_rate(bloom: "BloomFilter") -> float:
    """Return the false-positive rate of this filled filter: ``(bits set / m)^k`` for independent probes."""
    set_bits = sum(bin(byte).count("1") for byte in bloom.bits)
    return (set_bits / bloom.size_bits) ** bloom.hash_count


def _double_hashing_positions(raw: bytes, size_bits: int, hash_count: int) -> list[int]:
    first = int.from_bytes(raw[:8], "big")
    step = int.from_bytes(raw[8:16], "big") | 1
    return [(first + i * step) % size_bits for i in range(hash_count)]


def _shake256_positions(raw: bytes, size_bits: int, hash_count: int) -> list[int]:
    # 64-bit words taken mod m: the bias is below m / 2^64, far under any rate a filter is built for.
    stream = hashlib.shake_256(raw).digest(8 * hash_count)
    return [int.from_bytes(stream[8 * i : 8 * i + 8], "big") % size_bits for i in range(hash_count)]


_POSITIONS = {ProbeScheme.SHAKE256: _shake256_positions, ProbeScheme.DOUBLE_HASHING: _double_hashing_positions}


class BloomFilter:
    """A bit array of ``size_bits`` bits probed at ``hash_count`` positions per item."""

    def __init__(
        self,
        size_bits: int,
        hash_count: int,
        bits: bytes | bytearray | None = None,
        *,
        probe_scheme: str = ProbeScheme.SHAKE256,
    ):
        if probe_scheme not in _POSITIONS:
            raise ValueError(f"Unknown probe scheme {probe_scheme!r}.")
        self.size_bits = size_bits
        self.hash_count = hash_count
        self.probe_scheme = probe_scheme
        length = (size_bits + 7) // 8
        self.bits = bytearray(bits) if bits is not None else bytearray(length)
        if len(self.bits) != length:
            raise ValueError(f"A filter of {size_bits} bits needs {length} bytes, not {len(self.bits)}.")

    def positions(self, index_hex: str) -> list[int]:
        """Return the bit positions of a blind index."""
        return _POSITIONS[self.probe_scheme](bytes.fromhex(index_hex), self.size_bits, self.hash_count)

    def add_index(self, index_hex: str) -> None:
        for position in self.positions(index_hex):
            self.bits[position >> 3] |= 1 << (position & 7)

    def has_index(self, index_hex: str) -> bool:
        return all(self.bits[position >> 3] & (1 << (position & 7)) for position in self.positions(index_hex))

    def might_contain(self, value: str, *, kind: str, key_id: str) -> bool:
        """Return whether ``value`` (an identifier of ``kind``) may have been added.

        A value that cannot be normalised for ``kind`` cannot have been added, so
        the answer is no.
        """
        try:
            index = blind_index_under(value, kind, key_id)
        except NormalisationError:
            return False
        return self.has_index(index)


@dataclass(frozen=True)
class BuiltFilter:
    """A filled filter and what it was built from, ready to store."""

    bloom: BloomFilter
    subject_key: str
    expected_items: int
    false_positive_rate: float
    key_id: str


def build_filter(
    subject_keys: Iterable[str], *, subject_key: str, false_positive_rate: float = DEFAULT_FALSE_POSITIVE_RATE
) -> BuiltFilter:
    """Return a filter holding ``subject_keys`` (identifiers of kind ``subject_key``) under the active key.

    Duplicates count once. Raises ValidationError naming the first lines that
    are not identifiers of that kind (line numbers from 1), or when there are
    none at all.
    """
    if not 0 < false_positive_rate < 0.5:
        raise ValidationError(
            "The false-positive rate must lie strictly between 0 and 0.5, for example 0.001.",
            code="false_positive_rate",
        )
    key_id = get_keyring().active.key_id
    indexes: set[str] = set()
    bad: list[str] = []
    bad_count = 0
    for line, raw in enumerate(subject_keys, start=1):
        value = str(raw)
        if not value.strip():
            continue
        try:
            indexes.add(blind_index_under(value, subject_key, key_id))
        except NormalisationError as error:
            bad_count += 1
            if len(bad) < MAX_REPORTED_BAD_KEYS:
                bad.append(f"Line {line}: {error}")
    if bad_count:
        counted = "1 subject key is" if bad_count == 1 else f"{bad_count} subject keys are"
        more = f" And {bad_count - len(bad)} more." if bad_count > len(bad) else ""
        raise ValidationError(
            f"{counted} not valid. " + " ".join(bad) + more,
            code="subject_keys",
        )
    if not indexes:
        raise ValidationError("The list of subject keys is empty.", code="subject_keys")
    bloom = filter_of_indexes(indexes, false_positive_rate=false_positive_rate)
    return BuiltFilter(
        bloom=bloom,
        subject_key=subject_key,
        expected_items=len(indexes),
        false_positive_rate=false_positive_rate,
        key_id=key_id,
    )


def filter_of_indexes(indexes: set[str], *, false_positive_rate: float) -> BloomFilter:
    """Return a filter holding the blind indexes ``indexes`` whose realised rate is at most ``false_positive_rate``.

    A small filter's rate depends on how its few probes happened to overlap: measured
    on the filled bits, a filter over its rate is rebuilt a little larger.
    """
    size_bits, hash_count = optimal_parameters(len(indexes), false_positive_rate)
    bloom = _filled(indexes, size_bits, hash_count)
    while realised_rate(bloom) > false_positive_rate:
        size_bits += max(8, size_bits // 50)
        bloom = _filled(indexes, size_bits, _hash_count(size_bits, len(indexes)))
    return bloom


def _filled(indexes: set[str], size_bits: int, hash_count: int) -> BloomFilter:
    bloom = BloomFilter(size_bits, hash_count)
    for index in indexes:
        bloom.add_index(index)
    return bloom


def stored_filter_might_contain(membership_filter, value: str) -> bool:
    """Return whether the subject with this identifier may be in a stored ``MembershipFilter``'s version (never a false no).

    Read with the scheme, size and key the filter was built with. (A function here rather than a model
    method, so the models never import this module: ``datasets.models`` <- ``datasets.membership`` only.)
    """
    bloom = BloomFilter(
        membership_filter.size_bits,
        membership_filter.hash_count,
        bytes(membership_filter.bits),
        probe_scheme=membership_filter.probe_scheme,
    )
    return bloom.might_contain(value, kind=membership_filter.subject_key, key_id=membership_filter.key_id)
