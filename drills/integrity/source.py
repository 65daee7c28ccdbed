"""What a diff needs from one side: per-range aggregates pushed down into its engine.

Every method works on key ranges so that each engine answers with one indexed query and only
numbers travel: ``(count, sum(digest))`` per bucket, or ``key -> digest`` for small ranges. Each
source carries a ``name`` ("primary", "replica", "ledger") used in every error message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from drills.integrity.key_range import Checksum, KeyRange


class Source(Protocol):
    """One side of a comparison (PostgreSQL table, SQLite ledger...)."""

    name: str

    def open(self) -> None:
        """Connect and check the table's key/digest columns; raise ``IntegrityError`` naming the side."""

    def close(self) -> None:
        """Release the connection if this source opened it."""

    def schema(self) -> Mapping[str, str] | None:
        """Column -> type of the compared table, or None when not comparable to another engine's."""

    def bounds(self, within: KeyRange | None = None) -> KeyRange | None:
        """``[min key, max key + 1)`` of the rows (inside ``within``), None when there are none."""

    def bucket_checksums(self, rng: KeyRange, buckets: int) -> dict[int, Checksum]:
        """Checksums of the non-empty equal-width buckets of ``rng`` in one grouped query."""

    def range_checksums(self, ranges: Sequence[KeyRange]) -> list[Checksum]:
        """Checksum of each given range (one indexed lookup each, one round trip in all)."""

    def digests(self, rng: KeyRange) -> dict[int, int]:
        """``key -> digest`` of every row in ``rng`` (only called for small ranges)."""

    def partition_maxima(self, bits: int) -> dict[int, int]:
        """``key >> bits -> max key`` of each partition (a device), by a loose index scan.

        WHY: incremental verification needs each device's newest key without scanning the table,
        so the cost follows the number of devices, not the number of rows.
        """
