"""Bucket cuts follow the data's dense spans, and every key of a range falls in exactly one bucket."""

from __future__ import annotations

from drills.integrity import KeyRange
from drills.integrity.buckets import bucket_index, buckets_of, cut


def _spans(devices: int, rows: int) -> list[KeyRange]:
    return [KeyRange(d << 32, (d << 32) + rows) for d in range(1, devices + 1)]


def test_cuts_fall_inside_sparse_partitions() -> None:
    spans = _spans(devices=4, rows=1000)
    rng = KeyRange(spans[0].lo, spans[-1].hi)
    bounds = cut(rng, 40, spans)
    filled = [b for b in buckets_of(bounds).values() if any(b.lo < s.hi and s.lo < b.hi for s in spans)]
    assert len(filled) == 40, "ten buckets of 100 keys in each device, none spanning a whole device"
    assert max(min(b.hi, s.hi) - max(b.lo, s.lo) for b in filled for s in spans) == 100


def test_more_partitions_than_buckets_groups_whole_partitions() -> None:
    spans = _spans(devices=30, rows=10)
    bounds = cut(KeyRange(spans[0].lo, spans[-1].hi), 10, spans)
    assert set(bounds) <= {s.lo for s in spans} | {spans[-1].hi}
    assert 10 <= len(bounds) - 1 <= 11


def test_every_key_lands_in_the_bucket_that_contains_it() -> None:
    rng = KeyRange(-50, 977)
    bounds = cut(rng, 7)
    assert (bounds[0], bounds[-1]) == (rng.lo, rng.hi)
    buckets = buckets_of(bounds)
    for key in range(rng.lo, rng.hi):
        bucket = buckets[bucket_index(bounds, key)]
        assert bucket.lo <= key < bucket.hi
