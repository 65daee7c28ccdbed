"""Incremental and full verification of a pair of sources, driven by sequence watermarks.

Events are appended per device (``event_key = device << 32 | seq``), so "what changed since the last
verified point" is, per device, the keys above its watermark. ``verify_incremental`` fixes a cutoff
first (each device's newest key on the reference, found by a loose index scan, cost ~ number of
devices), then compares only ``(watermark, cutoff]`` of every device with indexed range checksums,
so its cost follows the new rows, not the table size. Rows the other side holds beyond the cutoff
wait for the next run. Differences found are reported in the result and the watermark still moves
past them: they are reported once; the periodic ``verify_full`` re-checks everything from key 0 and
re-finds anything still wrong (and anything changed below a watermark after it was verified).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from contracts.events import SEQ_BITS
from drills.integrity.diff import DiffOptions, DiffResult, Progress, diff_ranges, opened
from drills.integrity.key_range import KeyRange
from drills.integrity.source import Source
from drills.integrity.watermarks import Watermarks


def verify_incremental(
    reference: Source,
    other: Source,
    watermarks: Watermarks,
    options: DiffOptions | None = None,
    progress: Progress | None = None,
    bits: int = SEQ_BITS,
) -> DiffResult:
    """Verify every partition's keys above its watermark, then advance the watermarks."""
    return _verify(reference, other, watermarks, options, progress, bits, full=False)


def verify_full(
    reference: Source,
    other: Source,
    watermarks: Watermarks,
    options: DiffOptions | None = None,
    progress: Progress | None = None,
    bits: int = SEQ_BITS,
) -> DiffResult:
    """Verify every partition from its first key (the periodic full check), then reset the watermarks."""
    return _verify(reference, other, watermarks, options, progress, bits, full=True)


def _verify(
    reference: Source,
    other: Source,
    watermarks: Watermarks,
    options: DiffOptions | None,
    progress: Progress | None,
    bits: int,
    full: bool,
) -> DiffResult:
    marks = {} if full else watermarks.load().verified
    with opened(reference, other):
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="integrity-marks") as pool:
            ref_max, other_max = pool.map(lambda s: _maxima(s, bits), (reference, other))
        cutoffs = {**other_max, **ref_max}  # the reference decides; other-only devices count too
        ranges = _unverified(marks, cutoffs, bits)
        result = diff_ranges(reference, other, ranges, options, progress)
    verified = {**marks, **{part: max(cut, marks.get(part, cut)) for part, cut in cutoffs.items()}}
    watermarks.save(verified, full=full)
    return result


def _maxima(source: Source, bits: int) -> dict[int, int]:
    """``partition -> newest key`` of one side (loose index scan: cost ~ number of devices)."""
    return {span.lo >> bits: span.hi - 1 for span in source.partition_spans(bits) or ()}


def _unverified(marks: dict[int, int], cutoffs: dict[int, int], bits: int) -> list[KeyRange]:
    """``(watermark, cutoff]`` of each partition, as half-open ranges, in key order."""
    ranges = []
    for part in sorted(cutoffs):
        start = marks.get(part, (part << bits) - 1) + 1
        if start <= cutoffs[part]:
            ranges.append(KeyRange(start, cutoffs[part] + 1))
    return ranges
