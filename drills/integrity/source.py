"""What a diff needs from one side: per-range aggregates pushed down into its engine.

Every method works on key ranges so that each engine answers with one indexed query and only
numbers travel: ``(count, sum(digest))`` in total or per block of keys, or ``key -> digest`` for
small ranges. Each source carries a ``name`` ("primary", "replica", "ledger") used in every error
message.
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

    def row_estimate(self) -> int | None:
        """Rows the engine's statistics expect in the table (no scan), None when it keeps none.

        WHY: when the two sides' partition spans differ, their totals must differ too, and this
        estimate sizes the first level of blocks in place of the counted total the diff skips.
        """

    def total(self, within: Sequence[KeyRange]) -> Checksum:
        """Checksum of all rows inside ``within`` (disjoint key ranges), in one pass.

        WHY a method of its own: a plain aggregate, which PostgreSQL runs as a parallel scan with
        no hashing; equal data is settled by it alone.
        """

    def block_checksums(self, shift: int, within: Sequence[KeyRange]) -> dict[int, Checksum]:
        """Checksum per non-empty block ``key >> shift`` of the rows inside ``within``, in one pass.

        ``within`` is sorted and disjoint; a block may hold parts of several of its ranges.
        """

    def range_digests(self, ranges: Sequence[KeyRange]) -> dict[int, int]:
        """``key -> digest`` of every row in ``ranges`` (only asked for small ranges), in one pass."""

    def partition_spans(self, bits: int, limit: int | None = None) -> list[KeyRange] | None:
        """``[first key, last key + 1)`` of each partition (``key >> bits``) by a loose index scan.

        WHY: the cost follows the number of partitions (devices), not rows; the diff cuts buckets
        inside these spans and incremental verification takes each device's newest key from them.
        None when there are more than ``limit`` partitions (then keys are not partitioned).
        """
