"""How a level cuts key ranges into buckets: aligned blocks of ``2**shift`` keys (``key >> shift``).

WHY blocks rather than a list of bounds: an engine groups rows by ``key >> shift`` with one
integer shift and a hash aggregate, while ``width_bucket(key, bounds)`` binary-searches an array
of up to 16,384 bounds for every row (1.5-2x the time of the whole-table pass). Empty key space,
such as the 2**32-wide gaps between devices (``event_key = device << 32 | seq``), yields no group
at all, so a block size fits the rows wherever they are. Keys are unique, so a block holds at most
``2**shift`` rows: once blocks are no wider than the fetch threshold, every differing block is
fetched directly. Cuts only decide cost, never correctness: every key falls in exactly one block.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from drills.integrity.key_range import KeyRange

#: Widest shift: bigint ``>>`` by 64 or more is undefined in C (x86 shifts by 0 instead).
MAX_SHIFT = 63


def choose_shift(rows: int, parts: Sequence[KeyRange], target: int) -> int:
    """Shift whose blocks hold about ``target`` rows if ``rows`` fill ``parts`` evenly.

    WHY the median part: ``parts`` are the devices' key spans, and one stray key far above a
    device's sequence (a row re-keyed by 2**31) stretches that span a million-fold; a density
    taken over the summed widths would then make every block a whole device. The nearest power
    of two, not the one below: 33 rows more than 10M must not halve the blocks.
    """
    widths = sorted(part.width for part in parts)
    keys = widths[len(widths) // 2] * len(widths)
    keys_per_block = target * keys / max(1, rows)
    return min(MAX_SHIFT, max(0, round(math.log2(keys_per_block))))


def block_range(block: int, shift: int) -> KeyRange:
    """Keys of block ``block`` (``key >> shift == block``, also for negative keys)."""
    return KeyRange(block << shift, (block + 1) << shift)


def overlaps(ranges: Sequence[KeyRange], spans: Sequence[KeyRange]) -> Iterator[KeyRange]:
    """The non-empty intersections of two sorted lists of disjoint ranges, in key order."""
    i = j = 0
    while i < len(ranges) and j < len(spans):
        lo, hi = max(ranges[i].lo, spans[j].lo), min(ranges[i].hi, spans[j].hi)
        if lo < hi:
            yield KeyRange(lo, hi)
        if ranges[i].hi <= spans[j].hi:
            i += 1
        else:
            j += 1
