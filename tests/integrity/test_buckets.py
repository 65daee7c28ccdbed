"""Block shifts fit the rows' density along dense spans, and every key falls in exactly one block."""

from __future__ import annotations

from drills.integrity import KeyRange
from drills.integrity.buckets import MAX_SHIFT, block_range, choose_shift, overlaps


def _spans(devices: int, rows: int) -> list[KeyRange]:
    return [KeyRange(d << 32, (d << 32) + rows) for d in range(1, devices + 1)]


def test_dense_devices_get_blocks_of_about_the_target_rows() -> None:
    assert choose_shift(10_000_000, _spans(devices=2000, rows=5000), target=512) == 9
    assert choose_shift(10_000_033, _spans(devices=2000, rows=5000), target=1024) == 10, "nearest"


def test_a_stray_key_far_above_some_devices_does_not_widen_the_blocks() -> None:
    spans = _spans(devices=2000, rows=5000)
    stretched = [KeyRange(s.lo, s.lo + (1 << 31) + 1) if i % 60 == 0 else s for i, s in enumerate(spans)]
    assert choose_shift(10_000_000, stretched, target=512) == 9


def test_sparse_keys_get_wider_blocks_and_the_shift_stays_defined() -> None:
    assert choose_shift(1 << 20, [KeyRange(0, 1 << 40)], target=512) == 29
    assert choose_shift(1, [KeyRange(-(1 << 63), 1 << 63)], target=512) == MAX_SHIFT
    assert choose_shift(10, [KeyRange(0, 4)], target=512) == 8
    assert choose_shift(1, [KeyRange(0, 1)], target=1) == 0


def test_every_key_lands_in_the_block_that_contains_it() -> None:
    for shift in (0, 3, 32):
        for key in [*range(-50, 977), (5 << 32) + 7]:
            block = block_range(key >> shift, shift)
            assert block.lo <= key < block.hi and block.width == 1 << shift


def test_overlaps_of_sorted_disjoint_ranges() -> None:
    ranges = [KeyRange(0, 10), KeyRange(20, 30), KeyRange(40, 50)]
    spans = [KeyRange(5, 25), KeyRange(28, 45), KeyRange(60, 70)]
    assert list(overlaps(ranges, spans)) == [
        KeyRange(5, 10), KeyRange(20, 25), KeyRange(28, 30), KeyRange(40, 45)
    ]
    assert list(overlaps([KeyRange(0, 100)], [])) == []
