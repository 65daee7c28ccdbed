"""How a key range is cut into buckets: along the data's dense spans, not blindly by equal width.

``event_key = device << 32 | seq`` leaves huge empty gaps between devices, so equal-width buckets
over the whole key range put each device in one bucket whatever their number, and splitting a
bucket again rarely separates rows. Knowing each partition's ``[first, last]`` keys (a loose index
scan, cost ~ number of devices) lets every cut fall inside data: buckets then hold about the same
number of rows and a differing bucket narrows down in one or two levels. Without spans (keys not
partitioned), a range is treated as one dense span. Cuts only decide cost, never correctness:
every key of a range falls in exactly one of its buckets.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from drills.integrity.key_range import KeyRange


def cut(rng: KeyRange, parts: int, spans: Sequence[KeyRange] | None = None) -> list[int]:
    """Sorted boundaries ``[rng.lo, ..., rng.hi]`` cutting ``rng`` in about ``parts`` buckets."""
    dense = _overlaps(rng, spans) if spans is not None else [rng]
    cuts = {rng.lo, rng.hi}
    if len(dense) >= parts:  # more spans than buckets: group whole spans
        step = -(-len(dense) // parts)
        cuts.update(span.lo for span in dense[::step])
    else:
        total = sum(span.width for span in dense)
        for span in dense:
            pieces = max(1, min(span.width, round(parts * span.width / total)))
            width = -(-span.width // pieces)
            cuts.update(range(span.lo, span.hi, width))
            cuts.add(span.hi)
    return sorted(cuts)


def buckets_of(bounds: Sequence[int]) -> dict[int, KeyRange]:
    """Bucket number (as SQL ``width_bucket(key, bounds)`` numbers it) -> its key range."""
    return {i: KeyRange(bounds[i - 1], bounds[i]) for i in range(1, len(bounds))}


def bucket_index(bounds: Sequence[int], key: int) -> int:
    """``width_bucket(key, bounds)`` in Python: 0 below the first bound, ``len`` from the last."""
    return bisect_right(bounds, key)


def _overlaps(rng: KeyRange, spans: Sequence[KeyRange]) -> list[KeyRange]:
    """The parts of ``spans`` (sorted, disjoint) inside ``rng``."""
    out = []
    for span in spans:
        lo, hi = max(span.lo, rng.lo), min(span.hi, rng.hi)
        if lo < hi:
            out.append(KeyRange(lo, hi))
    return out
