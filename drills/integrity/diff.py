"""Checksum diff of two sources by key range (the reladiff/data-diff method, on stored digests).

Each level asks both sides, concurrently and with ONE query per side, for ``(count, sum(digest))``
per bucket of all the ranges still in question, computed inside each engine. Only buckets whose
checksums differ go on; a differing bucket small enough (``threshold`` rows) is fetched as
``key -> digest`` from both sides (again one query per side for all of them) and compared key by
key, which names the exact missing, extra and changed rows.

Differences from reladiff (32 segments, threshold 16,384, one query per segment), measured in
``benchmarks/verify.py``: the first level is one plain ``count, sum`` per side (a parallel scan,
no hashing), so equal tables cost one scan; when it differs, the next level is one grouped pass
cut in up to ``max_segments`` buckets along the partitions' dense key spans
(``drills.integrity.buckets``), so k scattered differences cost that pass plus a level or two of
small indexed queries covering all of them, not k separate recursions; the sums are integer sums
of the digest stored at write time, not a hash computed per row at query time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from drills.integrity.buckets import buckets_of, cut
from drills.integrity.errors import IntegrityError
from drills.integrity.key_range import EMPTY, Checksum, KeyRange
from drills.integrity.source import Source
from drills.journal import IntegrityResult
from drills.pipeline.events import SEQ_BITS, split_event_key

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DiffOptions:
    """Bisection knobs: buckets per level, and the row count below which rows are fetched.

    ``first_segments``: buckets of the first (whole-table) level; ``segments`` .. ``max_segments``:
    buckets per differing range below it (more when its row count is large); ``threshold``: fetch
    a differing bucket's rows once the fuller side holds at most this many; ``partition_bits``:
    ``key >> partition_bits`` names a partition (a device) whose keys are dense, 0 for none.
    """

    segments: int = 32
    first_segments: int = 1
    max_segments: int = 16384
    threshold: int = 2048
    partition_bits: int = SEQ_BITS
    max_partitions: int = 100_000

    def __post_init__(self) -> None:
        if min(self.segments, self.max_segments, self.threshold) < 2 or self.first_segments < 1:
            raise ValueError("segments, max_segments and threshold must be >= 2, first_segments >= 1")


@dataclass(frozen=True)
class DiffResult:
    """What differs between ``reference`` and ``other``, by key only (never row values).

    ``missing``: in reference, not in other. ``extra``: in other, not in reference. ``changed``: in
    both with different digests. ``ranges_queried`` counts range aggregates asked of each side.
    """

    reference: str
    other: str
    missing: tuple[int, ...]
    extra: tuple[int, ...]
    changed: tuple[int, ...]
    reference_rows: int
    other_rows: int
    ranges_queried: int
    rows_fetched: int
    seconds: float
    key_ranges: tuple[KeyRange, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.changed)

    @property
    def rows_compared(self) -> int:
        return max(self.reference_rows, self.other_rows)

    def summary(self) -> str:
        return (
            f"{self.reference} vs {self.other}: {len(self.missing)} missing, {len(self.extra)} extra, "
            f"{len(self.changed)} changed of {self.rows_compared:,} rows ({self.seconds:.2f} s)"
        )

    def to_integrity_result(self, name: str, id_limit: int = 100) -> IntegrityResult:
        """Journal entry: counts, first event ids (``device:seq``) of each kind, and the cost."""
        return IntegrityResult(
            name=name,
            passed=self.ok,
            summary=self.summary(),
            details={
                "method": "bucketed checksum diff (count + sum of 64-bit digests per key range)",
                "reference": self.reference,
                "other": self.other,
                "reference_rows": self.reference_rows,
                "other_rows": self.other_rows,
                "missing": len(self.missing),
                "extra": len(self.extra),
                "changed": len(self.changed),
                "missing_ids": event_ids(self.missing[:id_limit]),
                "extra_ids": event_ids(self.extra[:id_limit]),
                "changed_ids": event_ids(self.changed[:id_limit]),
                "ranges_queried": self.ranges_queried,
                "rows_fetched": self.rows_fetched,
                "seconds": round(self.seconds, 3),
            },
        )


def event_ids(keys: Sequence[int]) -> list[str]:
    """``dev-000042:17`` for each ``event_key``: how a person reads a key (never a patient id)."""
    return [f"dev-{device:06d}:{seq}" for device, seq in map(split_event_key, keys)]


def diff_sources(
    reference: Source,
    other: Source,
    key_range: KeyRange | None = None,
    options: DiffOptions | None = None,
    progress: Progress | None = None,
) -> DiffResult:
    """Compare ``other`` to ``reference`` over ``key_range`` (default: all keys of either side)."""
    with opened(reference, other):
        return diff_opened(reference, other, key_range, options, progress)


def diff_opened(
    reference: Source,
    other: Source,
    key_range: KeyRange | None = None,
    options: DiffOptions | None = None,
    progress: Progress | None = None,
) -> DiffResult:
    """``diff_sources`` for sources the caller already opened (and will close)."""
    started = time.perf_counter()
    opts = options or DiffOptions()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="integrity-diff") as pool:
        spans = _spans(pool, reference, other, opts)
        if spans is None:
            rng = key_range or _union(*pool.map(lambda s: s.bounds(None), (reference, other)))
        else:
            rng = key_range or (KeyRange(spans[0].lo, spans[-1].hi) if spans else None)
        run = _Run(reference, other, opts, pool, progress, spans)
        if rng is not None:
            run.compare([_Pending(rng, None)], lambda p: cut(p.rng, opts.first_segments, spans))
    return run.result(time.perf_counter() - started, (rng,) if rng else ())


def diff_ranges(
    reference: Source,
    other: Source,
    ranges: Sequence[KeyRange],
    options: DiffOptions | None = None,
    progress: Progress | None = None,
) -> DiffResult:
    """Compare only ``ranges`` (already-open sources): one checksum per range, then bisect.

    WHY: incremental verification hands over the unverified tail of every device; checking them
    with index range scans costs what they hold, not what the table holds.
    """
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="integrity-diff") as pool:
        run = _Run(reference, other, options or DiffOptions(), pool, progress, None)
        if ranges and not run.settled(ranges):
            run.compare([_Pending(rng, None) for rng in ranges], lambda p: [p.rng.lo, p.rng.hi])
    return run.result(time.perf_counter() - started, tuple(ranges))


def _spans(
    pool: ThreadPoolExecutor, reference: Source, other: Source, opts: DiffOptions
) -> list[KeyRange] | None:
    """Union of both sides' partition spans (sorted), or None when keys are not partitioned."""
    if opts.partition_bits <= 0:
        return None
    bits, limit = opts.partition_bits, opts.max_partitions
    found = list(pool.map(lambda s: s.partition_spans(bits, limit), (reference, other)))
    if any(side is None for side in found):
        return None
    merged: dict[int, KeyRange] = {}
    for span in (span for side in found for span in side or ()):
        part = span.lo >> opts.partition_bits
        merged[part] = merged[part].union(span) if part in merged else span
    return [merged[part] for part in sorted(merged)]


@contextmanager
def opened(*sources: Source) -> Iterator[None]:
    """Open every source (errors name the side), check their schemas agree, close them all after."""
    done: list[Source] = []
    try:
        for source in sources:
            source.open()
            done.append(source)
        _check_schemas(sources)
        yield
    finally:
        for source in done:
            source.close()


def _check_schemas(sources: Sequence[Source]) -> None:
    """Two tables of the same kind must have the same columns and types, else name what differs."""
    reference = sources[0]
    expected = reference.schema()
    for source in sources[1:]:
        actual = source.schema()
        if expected is None or actual is None or actual == expected:
            continue
        problems = [f"lacks {c}" for c in expected if c not in actual]
        problems += [f"has extra {c}" for c in actual if c not in expected]
        problems += [
            f"{c} is {actual[c]} (not {kind})" for c, kind in expected.items() if actual.get(c, kind) != kind
        ]
        raise IntegrityError(
            source.name, f"table schema differs from {reference.name}'s: {'; '.join(problems)}; "
            "migrate both sides to the same DDL before comparing"
        )


def _union(a: KeyRange | None, b: KeyRange | None) -> KeyRange | None:
    if a is None or b is None:
        return a or b
    return a.union(b)


@dataclass
class _Pending:
    rng: KeyRange
    count: int | None  # rows on the fuller side, when known


@dataclass
class _Run:
    """Mutable state of one diff: the bisection loop and what it found."""

    reference: Source
    other: Source
    options: DiffOptions
    pool: ThreadPoolExecutor
    progress: Progress | None
    spans: list[KeyRange] | None
    missing: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    reference_rows: int = 0
    other_rows: int = 0
    queried: int = 0
    fetched: int = 0

    def compare(self, pending: list[_Pending], first_cut: Callable[[_Pending], list[int]]) -> None:
        """Level 0 cuts with ``first_cut`` (and counts the rows); deeper levels split by row count."""
        level = 0
        while pending:
            pending = self._level(pending, first_cut if level == 0 else self._cut, top=level == 0)
            level += 1
            self.report(f"level {level}: {len(pending)} ranges differ")

    def _level(
        self, pending: list[_Pending], cutter: Callable[[_Pending], list[int]], top: bool
    ) -> list[_Pending]:
        fetch = [p.rng for p in pending if not top and self._small(p)]
        split = [p for p in pending if top or not self._small(p)]
        bounds = sorted({b for p in split if p.rng.width for b in cutter(p)})
        within = [p.rng for p in split if p.rng.width]
        ref_job = self.pool.submit(_side_work, self.reference, bounds, within, fetch)
        other_job = self.pool.submit(_side_work, self.other, bounds, within, fetch)
        (ref_sums, ref_rows), (other_sums, other_rows) = ref_job.result(), other_job.result()
        self.queried += max(0, len(bounds) - 1)
        if top:
            self.reference_rows = sum(c.count for c in ref_sums.values())
            self.other_rows = sum(c.count for c in other_sums.values())
        self._compare_rows(ref_rows, other_rows)
        buckets = buckets_of(bounds)
        children = []
        for index in sorted(ref_sums.keys() | other_sums.keys()):
            r, o = ref_sums.get(index, EMPTY), other_sums.get(index, EMPTY)
            if r != o:
                children.append(_Pending(buckets[index], max(r.count, o.count)))
        return children

    def settled(self, ranges: Sequence[KeyRange]) -> bool:
        """One plain total over all ``ranges`` per side (counts the rows): True when they agree."""
        bounds = [min(r.lo for r in ranges), max(r.hi for r in ranges)]
        ref_job = self.pool.submit(self.reference.checksums, bounds, ranges)
        other_job = self.pool.submit(self.other.checksums, bounds, ranges)
        ref, oth = ref_job.result().get(1, EMPTY), other_job.result().get(1, EMPTY)
        self.queried += 1
        self.reference_rows, self.other_rows = ref.count, oth.count
        self.report(f"{len(ranges)} ranges: totals {'agree' if ref == oth else 'differ'}")
        return ref == oth

    def _cut(self, p: _Pending) -> list[int]:
        """More buckets for fuller ranges, so that differing buckets come back near fetch size."""
        wanted = -(-(p.count or 0) * 4 // self.options.threshold)
        parts = min(max(self.options.segments, wanted), self.options.max_segments, p.rng.width)
        return cut(p.rng, parts, self.spans)

    def _small(self, p: _Pending) -> bool:
        limit = self.options.threshold
        return (p.count is not None and p.count <= limit) or p.rng.width <= limit

    def _compare_rows(self, ref: dict[int, int], oth: dict[int, int]) -> None:
        self.fetched += len(ref) + len(oth)
        self.missing.extend(k for k in ref if k not in oth)
        self.extra.extend(k for k in oth if k not in ref)
        self.changed.extend(k for k, d in ref.items() if k in oth and oth[k] != d)

    def report(self, message: str) -> None:
        if self.progress is not None:
            self.progress(f"{self.reference.name} vs {self.other.name}: {message}")

    def result(self, seconds: float, ranges: tuple[KeyRange, ...]) -> DiffResult:
        return DiffResult(
            reference=self.reference.name, other=self.other.name, missing=tuple(sorted(self.missing)),
            extra=tuple(sorted(self.extra)), changed=tuple(sorted(self.changed)),
            reference_rows=self.reference_rows, other_rows=self.other_rows, ranges_queried=self.queried,
            rows_fetched=self.fetched, seconds=seconds, key_ranges=ranges,
        )


def _side_work(
    source: Source, bounds: Sequence[int], within: Sequence[KeyRange], fetch: Sequence[KeyRange]
) -> tuple[dict[int, Checksum], dict[int, int]]:
    """One level's queries for one side: at most one aggregate and one fetch (one connection)."""
    sums = source.checksums(bounds, within) if within else {}
    rows = source.range_digests(fetch) if fetch else {}
    return sums, rows
