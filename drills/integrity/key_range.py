"""Key ranges and their checksums: the unit a diff compares between two sources.

A range is half-open ``[lo, hi)`` over the integer key (``event_key``). Its checksum is the row count
and the exact (unbounded Python int) sum of the rows' 64-bit digests. Sums are order-independent, so
each engine computes them with one aggregate, and two sides agree exactly when they hold the same
set of (key, digest) pairs, up to a sum collision that random 64-bit digests make negligible.
Non-random edits can cancel out: two rows of one bucket whose digests were nudged by +1 and -1
keep the sum. ``event_digest`` values are SHA-256 prefixes, so that takes deliberate tampering with
the stored digest; ``DigestMode.CONTENT`` recomputes digests from the rows and is not fooled.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class KeyRange:
    """``[lo, hi)`` over the integer key."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.hi < self.lo:
            raise ValueError(f"key range [{self.lo}, {self.hi}) is reversed: lo must be <= hi")

    @property
    def width(self) -> int:
        return self.hi - self.lo

    def union(self, other: KeyRange) -> KeyRange:
        return KeyRange(min(self.lo, other.lo), max(self.hi, other.hi))


@dataclass(frozen=True)
class Checksum:
    """Row count and exact digest sum of one range on one side."""

    count: int
    total: int

    @classmethod
    def from_hi_lo(cls, count: int, hi_sum: int | None, lo_sum: int | None) -> Checksum:
        """Rebuild the exact sum from sums of ``digest >> 32`` and ``digest & 0xffffffff``.

        WHY: SQLite's integer ``sum()`` raises on 64-bit overflow; the two halves cannot overflow for
        fewer than 2**31 rows, and recombining them here is exact.
        """
        return cls(count, ((hi_sum or 0) << 32) + (lo_sum or 0))

    def plus(self, other: Checksum) -> Checksum:
        """Checksum of the union of two disjoint row sets (sums are order-independent)."""
        return Checksum(self.count + other.count, self.total + other.total)


EMPTY = Checksum(0, 0)
