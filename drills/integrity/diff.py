"""Checksum diff of two sources by key range (the reladiff/data-diff method, on stored digests).

Level 0 asks each side for one plain ``(count, sum(digest))`` over the compared ranges; equal
totals end the diff. It is skipped when the sides' partition spans differ already (a device's
first or last key on one side only: the totals cannot agree, so a lagging replica costs no extra
scan). Every further level asks both sides, concurrently and with ONE query per side, for
``(count, sum(digest))`` per block ``key >> shift`` of all the ranges still in question, computed
inside each engine. Only blocks whose checksums differ go on; a differing block small enough
(``threshold`` rows) is fetched as ``key -> digest`` from both sides (again one query per side for
all of them) and compared key by key, which names the exact missing, extra and changed rows.

Differences from reladiff (32 segments, threshold 16,384, one query per segment), measured in
``benchmarks/verify.py``: the first level is one plain ``count, sum`` per side (a parallel scan,
no hashing), so equal tables cost one scan; when it differs, the next level is one grouped pass
over ``key >> shift``, the shift fitted to the rows' density along the partitions' dense key
spans (``drills.integrity.buckets``) so that blocks hold about half the threshold. Keys being
unique, every differing block then comes back small enough to fetch: k scattered differences
cost the total (if not skipped), one grouped pass and one batched fetch, not k separate
recursions. A block is a shift of the key, not a bound looked up per row, and empty key space
makes no group. The sums are integer sums of the digest stored at write time, not a hash
computed per row at query time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from contracts.events import SEQ_BITS, event_id
from contracts.journal import IntegrityResult
from drills.integrity.buckets import MAX_SHIFT, block_range, choose_shift, overlaps
from drills.integrity.errors import IntegrityError
from drills.integrity.key_range import EMPTY, Checksum, KeyRange
from drills.integrity.source import Source

Progress = Callable[[str], None]

#: Blocks aim at ``threshold / _BLOCK_FILL`` rows, so that a block denser than the average still
#: comes back at most ``threshold`` rows and is fetched at once instead of split again. Measured
#: at 10M rows, 99 differences: blocks of 512 rows made the grouped pass ~1 s slower (20k groups
#: thrash the cache), blocks of 2048 made the fetch ~0.4 s slower than blocks of 1024.
_BLOCK_FILL = 2

#: Rows so few that a grouped pass over them costs little even at one group per row: blocks are
#: then cut fetch-sized at once, whatever the density estimate (rows clustered in a sparse range).
_FEW_ROWS = 100_000


@dataclass(frozen=True)
class DiffOptions:
    """Bisection knobs: the row count below which rows are fetched, and how keys are partitioned.

    ``threshold``: fetch a differing block's rows once the fuller side holds at most this many
    (blocks aim at half of it, see ``_BLOCK_FILL``); ``partition_bits``: ``key >>
    partition_bits`` names a partition (a device) whose keys are dense, 0 for none;
    ``max_partitions``: beyond this many, keys are treated as not partitioned.
    """

    threshold: int = 2048
    partition_bits: int = SEQ_BITS
    max_partitions: int = 100_000

    def __post_init__(self) -> None:
        if self.threshold < _BLOCK_FILL:
            raise ValueError(f"threshold must be >= {_BLOCK_FILL}")


@dataclass(frozen=True)
class DiffResult:
    """What differs between ``reference`` and ``other``, by key only (never row values).

    ``missing``: in reference, not in other. ``extra``: in other, not in reference. ``changed``: in
    both with different digests. ``ranges_queried`` counts the checksums (totals and blocks)
    compared.
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
    return [event_id(key) for key in keys]


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
        sides = _side_spans(pool, reference, other, opts)
        spans = None if sides is None else _merged(sides, opts.partition_bits)
        if spans is None:
            rng = key_range or _union(*pool.map(lambda s: s.bounds(None), (reference, other)))
        else:
            rng = key_range or (KeyRange(spans[0].lo, spans[-1].hi) if spans else None)
        run = _Run(reference, other, opts, pool, progress, spans)
        if rng is not None:
            # a first or last key on one side only: the totals differ, no need to count them
            known = key_range is None and sides is not None and sides[0] != sides[1]
            run.compare([rng], _row_estimate(pool, reference, other) if known else None)
    return run.result(time.perf_counter() - started, (rng,) if rng else ())


def diff_ranges(
    reference: Source,
    other: Source,
    ranges: Sequence[KeyRange],
    options: DiffOptions | None = None,
    progress: Progress | None = None,
) -> DiffResult:
    """Compare only ``ranges`` (already-open sources, disjoint): one total, then bisect by blocks.

    WHY: incremental verification hands over the unverified tail of every device; checking them
    with index range scans costs what they hold, not what the table holds.
    """
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="integrity-diff") as pool:
        run = _Run(reference, other, options or DiffOptions(), pool, progress, None)
        run.compare(sorted(ranges))
    return run.result(time.perf_counter() - started, tuple(ranges))


def _side_spans(
    pool: ThreadPoolExecutor, reference: Source, other: Source, opts: DiffOptions
) -> tuple[list[KeyRange], list[KeyRange]] | None:
    """Each side's partition spans, or None when keys are not partitioned."""
    if opts.partition_bits <= 0:
        return None
    bits, limit = opts.partition_bits, opts.max_partitions
    ref, oth = pool.map(lambda s: s.partition_spans(bits, limit), (reference, other))
    return None if ref is None or oth is None else (ref, oth)


def _merged(sides: tuple[list[KeyRange], list[KeyRange]], bits: int) -> list[KeyRange]:
    """Union of both sides' spans, one per partition, sorted."""
    merged: dict[int, KeyRange] = {}
    for span in (span for side in sides for span in side):
        part = span.lo >> bits
        merged[part] = merged[part].union(span) if part in merged else span
    return [merged[part] for part in sorted(merged)]


def _row_estimate(pool: ThreadPoolExecutor, reference: Source, other: Source) -> int | None:
    """The fuller side's statistics estimate, None when either side keeps none."""
    ref, oth = pool.map(lambda s: s.row_estimate(), (reference, other))
    return None if ref is None or oth is None else max(ref, oth)


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
    count: int  # rows on the fuller side (of the whole block, when ``rng`` is a part of it)


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
    fuller: int = 0  # rows on the fuller side, counted by the totals or estimated
    shift: int = MAX_SHIFT + 1  # the last level's; every level cuts finer, so the descent ends

    def compare(self, ranges: list[KeyRange], expected_rows: int | None = None) -> None:
        """One plain total over ``ranges`` per side; when they differ, levels of blocks until done.

        ``expected_rows``: the totals are known to differ already (the partition spans do), so
        the total pass is skipped; this estimate sizes the first blocks, which count the rows.
        """
        if not ranges or not self._totals_differ(ranges, expected_rows):
            return
        # which ranges differ is not known yet: checksum them all, unless every row fits one fetch
        small = self.fuller <= self.options.threshold
        fetch = ranges if small else []
        split = [] if small else [_Pending(rng, self.fuller) for rng in ranges]
        level, counting = 0, expected_rows is not None
        while fetch or split:
            level += 1
            started = time.perf_counter()
            differing, done = self._level(fetch, split, counting)
            counting = False
            fetch = [p.rng for p in differing if self._small(p)]
            split = [p for p in differing if not self._small(p)]
            self.report(f"level {level}: {done}, {len(differing)} differ", started)

    def _totals_differ(self, ranges: Sequence[KeyRange], expected_rows: int | None) -> bool:
        """Level 0: one plain total per side, counting the rows, unless known to differ."""
        started = time.perf_counter()
        if expected_rows is not None:
            self.fuller = expected_rows
            self.report("level 0: skipped, the partition spans differ", started)
            return True
        ref_job = self.pool.submit(self.reference.total, ranges)
        other_job = self.pool.submit(self.other.total, ranges)
        ref, oth = ref_job.result(), other_job.result()
        self.queried += 1
        self.reference_rows, self.other_rows = ref.count, oth.count
        self.fuller = max(ref.count, oth.count)
        verdict = "agree" if ref == oth else "differ"
        self.report(f"level 0: totals {verdict} over {len(ranges):,} range(s)", started)
        return ref != oth

    def _level(
        self, fetch: list[KeyRange], split: list[_Pending], counting: bool
    ) -> tuple[list[_Pending], str]:
        """Compare the rows of ``fetch``, checksum ``split`` by block: returns the differing blocks.

        ``counting``: this level covers every compared row (no totals were taken): count them.
        """
        within = [p.rng for p in split]
        shift = self._next_shift(split) if split else 0
        ref_job = self.pool.submit(_side_work, self.reference, shift, within, fetch)
        other_job = self.pool.submit(_side_work, self.other, shift, within, fetch)
        (ref_sums, ref_rows), (other_sums, other_rows) = ref_job.result(), other_job.result()
        if counting:
            self.reference_rows = len(ref_rows) + sum(c.count for c in ref_sums.values())
            self.other_rows = len(other_rows) + sum(c.count for c in other_sums.values())
        self._compare_rows(ref_rows, other_rows)
        blocks = ref_sums.keys() | other_sums.keys()
        self.queried += len(blocks)
        counts: dict[int, int] = {}
        for block in sorted(blocks):
            r, o = ref_sums.get(block, EMPTY), other_sums.get(block, EMPTY)
            if r != o:
                counts[block] = max(r.count, o.count)
        # a part of ``within`` lies inside one block, so its first key names the block
        parts = overlaps([block_range(block, shift) for block in counts], within)
        children = [_Pending(part, counts[part.lo >> shift]) for part in parts]
        done = f"{len(fetch)} ranges fetched"
        return children, f"{done}, {len(blocks)} blocks of 2^{shift} keys" if split else done

    def _next_shift(self, split: list[_Pending]) -> int:
        """Blocks of about ``threshold / _BLOCK_FILL`` rows, judged along the partitions' spans.

        Always finer than the last level's, so that a block whose rows cluster in a small part of
        it (unlike the estimate) is still cut, and the descent ends.
        """
        ranges = [p.rng for p in split]
        parts = list(overlaps(ranges, self.spans)) if self.spans else []
        rows = min(sum(p.count for p in split), self.fuller)
        fitted = choose_shift(rows, parts or ranges, self.options.threshold // _BLOCK_FILL)
        if rows <= _FEW_ROWS:  # blocks no wider than the threshold: the next level only fetches
            fitted = min(fitted, self.options.threshold.bit_length() - 1)
        self.shift = min(fitted, self.shift - 1)
        return self.shift

    def _small(self, p: _Pending) -> bool:
        """Fetch a differing range: keys are unique, so one no wider than the threshold holds at
        most that many rows."""
        limit = self.options.threshold
        return p.count <= limit or p.rng.width <= limit

    def _compare_rows(self, ref: dict[int, int], oth: dict[int, int]) -> None:
        self.fetched += len(ref) + len(oth)
        self.missing.extend(k for k in ref if k not in oth)
        self.extra.extend(k for k in oth if k not in ref)
        self.changed.extend(k for k, d in ref.items() if k in oth and oth[k] != d)

    def report(self, message: str, started: float) -> None:
        """``message`` and the seconds since ``started`` (each level's cost), to ``progress``."""
        if self.progress is not None:
            seconds = time.perf_counter() - started
            self.progress(f"{self.reference.name} vs {self.other.name}: {message} ({seconds:.2f} s)")

    def result(self, seconds: float, ranges: tuple[KeyRange, ...]) -> DiffResult:
        return DiffResult(
            reference=self.reference.name, other=self.other.name, missing=tuple(sorted(self.missing)),
            extra=tuple(sorted(self.extra)), changed=tuple(sorted(self.changed)),
            reference_rows=self.reference_rows, other_rows=self.other_rows, ranges_queried=self.queried,
            rows_fetched=self.fetched, seconds=seconds, key_ranges=ranges,
        )


def _side_work(
    source: Source, shift: int, within: Sequence[KeyRange], fetch: Sequence[KeyRange]
) -> tuple[dict[int, Checksum], dict[int, int]]:
    """One level's queries for one side: at most one aggregate and one fetch (one connection)."""
    sums = source.block_checksums(shift, within) if within else {}
    rows = source.range_digests(fetch) if fetch else {}
    return sums, rows
