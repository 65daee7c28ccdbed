"""Verification speed: our checksum diff vs reladiff on the same data, and incremental verify times.

Builds ``--rows`` vitals rows (default 10,000,000) identically on two independent PostgreSQL servers
("primary" and "replica", ports 19500-19599, temporary dirs), growing the table in 1.5M-row steps (15
minutes at 100k events/min) and timing ``verify_incremental`` of the newest rows at every size. At
full size it compares the two servers with our diff and with reladiff (HASHDIFF over key +
payload_digest, the same information), first with no difference, then with ``--diffs`` planted ones
(a third each: deleted, changed, replica-only), and prints rows/s of each and the ratio, with the
seconds each level of our diff took. Our results are checked against the planted set (exactness).
Everything started is stopped at the end.

    .venv/bin/python -m benchmarks.verify [--rows N] [--diffs K] [--devices D] [--content]
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

from contracts.events import SEQ_BITS
from contracts.store import STORE_DDL, TABLE
from drills.integrity import DigestMode, PostgresSource, Watermarks, diff_sources, verify_incremental
from drills.integrity.postgres_source import CONTENT_DIGEST_SQL
from drills.targets.local.scratch_postgres import PgCluster, free_port

PORTS = (19500, 19600)
STEP_ROWS = 1_500_000  # 15 minutes at 100k events/min
console = Console()

#: Deterministic synthetic rows for ``i`` in [lo, hi); the digest is computed by the same SQL the
#: content mode uses, which the tests prove equal to Python's ``event_digest``.
_GENERATE = f"""
INSERT INTO {TABLE} (event_key, device_id, seq, patient_ref, ts, heart_rate, spo2, systolic,
                           diastolic, resp_rate, temp_c, payload_digest)
SELECT (d << {SEQ_BITS}) | seq, device_id, seq, patient_ref, ts, heart_rate, spo2, systolic, diastolic,
       resp_rate, temp_c, {CONTENT_DIGEST_SQL}
FROM (
  SELECT mod(i, %(devices)s) + 1 AS d, i / %(devices)s AS seq,
         'dev-' || lpad((mod(i, %(devices)s) + 1)::text, 6, '0') AS device_id,
         'pt-' || lpad(to_hex((mod(i, %(devices)s) + 1) * 7919), 12, '0') AS patient_ref,
         to_timestamp(1767225600) + (i * 600) * interval '1 microsecond' AS ts,
         (55 + (i * 7) %% 50)::smallint AS heart_rate, (92 + (i * 3) %% 9)::smallint AS spo2,
         (100 + (i * 11) %% 50)::smallint AS systolic, (60 + (i * 13) %% 35)::smallint AS diastolic,
         (10 + (i * 5) %% 12)::smallint AS resp_rate, (36.0 + ((i * 17) %% 25) / 10.0)::numeric(4,1) AS temp_c
  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) AS i
) AS r
"""


@dataclass(frozen=True)
class Timing:
    rows: int
    seconds: float
    found: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    base = Path(tempfile.mkdtemp(prefix="htdr-verify-bench-"))
    base.chmod(0o755)
    clusters: list[PgCluster] = []
    try:
        with ThreadPoolExecutor(2) as pool:
            ports = [free_port(PORTS[0], PORTS[0] + 50), free_port(PORTS[0] + 50, PORTS[1])]
            clusters = list(pool.map(PgCluster.create, ports))
        _run(args, clusters[0], clusters[1], base)
    finally:
        for cluster in clusters:
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def _run(args: argparse.Namespace, primary: PgCluster, replica: PgCluster, base: Path) -> None:
    for cluster in (primary, replica):
        _sql(cluster.dsn(), STORE_DDL)
    incremental = _grow_and_verify(args, primary, replica, base)
    _print_incremental(incremental)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: _sql(c.dsn(), f"VACUUM ANALYZE {TABLE}"), (primary, replica)))
    results: dict[str, tuple[Timing, Timing | None]] = {}
    results["no difference"] = _compare_both(args, primary, replica, expected=0)
    planted = _plant(replica.dsn(), args.rows, args.devices, args.diffs)
    results[f"{args.diffs} differences"] = _compare_both(args, primary, replica, expected=len(planted))
    _print_compare(results, args)


def _grow_and_verify(
    args: argparse.Namespace, primary: PgCluster, replica: PgCluster, base: Path
) -> list[tuple[int, int, float]]:
    """Load in steps (first 1M, then 1.5M each); after each, time the incremental verify."""
    marks = Watermarks(base / "watermarks.json")
    bounds = [0, min(1_000_000, args.rows)]
    while bounds[-1] < args.rows:
        bounds.append(min(bounds[-1] + STEP_ROWS, args.rows))
    out = []
    for lo, hi in itertools.pairwise(bounds):
        started = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(_load, (primary.dsn(), replica.dsn()), [lo] * 2, [hi] * 2, [args.devices] * 2))
        console.print(f"loaded rows {lo:,}..{hi:,} on both servers in {time.perf_counter() - started:.1f} s")
        result = verify_incremental(_source(primary, "primary"), _source(replica, "replica"), marks)
        if not result.ok or result.reference_rows != hi - lo:
            raise SystemExit(f"incremental verify wrong at {hi:,} rows: {result.summary()}")
        console.print(f"  incremental verify of the newest {hi - lo:,} rows: {result.seconds:.2f} s")
        out.append((hi, hi - lo, result.seconds))
    return out


def _compare_both(
    args: argparse.Namespace, primary: PgCluster, replica: PgCluster, expected: int
) -> tuple[Timing, Timing | None]:
    mode = DigestMode.CONTENT if args.content else DigestMode.STORED
    ours = diff_sources(_source(primary, "primary", mode), _source(replica, "replica", mode),
                        progress=lambda message: console.print(f"    {message}"))
    found = len(ours.missing) + len(ours.extra) + len(ours.changed)
    if found != expected:
        raise SystemExit(f"our diff is not exact: found {found}, planted {expected}: {ours.summary()}")
    console.print(f"  ours: {ours.summary()}")
    mine = Timing(ours.rows_compared, ours.seconds, found)
    theirs = None if args.no_reladiff else _reladiff(args, primary, replica, ours.rows_compared)
    if theirs is not None:
        console.print(f"  reladiff: {theirs.found} differing keys in {theirs.seconds:.2f} s")
    return mine, theirs


def _reladiff(args: argparse.Namespace, primary: PgCluster, replica: PgCluster, rows: int) -> Timing:
    """reladiff's HASHDIFF (32 segments, 16,384 threshold) over key + the compared columns."""
    import reladiff

    columns = (
        ("device_id", "seq", "patient_ref", "ts", "heart_rate", "spo2", "systolic", "diastolic",
         "resp_rate", "temp_c") if args.content else ("payload_digest",)
    )
    started = time.perf_counter()
    tables = [
        reladiff.connect_to_table(url, TABLE, "event_key", thread_count=2, extra_columns=columns)
        for url in (primary.url(), replica.url())
    ]
    with reladiff.diff_tables(*tables, algorithm=reladiff.Algorithm.HASHDIFF, max_threadpool_size=4) as diff:
        keys = {row[1][0] for row in diff}
    seconds = time.perf_counter() - started
    for table in tables:
        table.database.close()
    return Timing(rows, seconds, len(keys))


def _plant(dsn: str, rows: int, devices: int, k: int) -> set[int]:
    """k differences on the replica: a third deleted, a third changed (digest recomputed), a third extra."""
    rng = random.Random(11)
    picks = rng.sample(range(rows), k)
    keys = [((i % devices + 1) << SEQ_BITS) | (i // devices) for i in picks]
    deleted, changed, extra_src = keys[: k // 3], keys[k // 3 : 2 * k // 3], keys[2 * k // 3 :]
    extra = [key + (1 << (SEQ_BITS - 1)) for key in extra_src]  # far above any real seq
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {TABLE} WHERE event_key = ANY(%s)", (deleted,))
        # as the processor would write a changed payload: with its recomputed digest
        where = "WHERE event_key = ANY(%s)"
        conn.execute(f"UPDATE {TABLE} SET heart_rate = heart_rate + 1 {where}".encode(), (changed,))
        digest = f"UPDATE {TABLE} SET payload_digest = {CONTENT_DIGEST_SQL} {where}"
        conn.execute(digest.encode(), (changed,))
        conn.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {TABLE}_device_id_seq_key")
        conn.execute(
            f"INSERT INTO {TABLE} SELECT event_key + %s, device_id, seq, patient_ref, ts, heart_rate, "
            f"spo2, systolic, diastolic, resp_rate, temp_c, payload_digest FROM {TABLE} "
            "WHERE event_key = ANY(%s)", (1 << (SEQ_BITS - 1), extra_src),
        )
        conn.execute(f"VACUUM ANALYZE {TABLE}")
    return {*deleted, *changed, *extra}


def _print_incremental(rows: list[tuple[int, int, float]]) -> None:
    table = Table(title="Incremental verify (newest rows only)")
    for column in ("table rows", "rows verified", "seconds"):
        table.add_column(column, justify="right")
    for total, new, seconds in rows:
        table.add_row(f"{total:,}", f"{new:,}", f"{seconds:.2f}")
    console.print(table)


def _print_compare(results: dict[str, tuple[Timing, Timing | None]], args: argparse.Namespace) -> None:
    mode = "content (recomputed digest)" if args.content else "stored digest"
    table = Table(title=f"Full compare, {args.rows:,} rows, ours ({mode}) vs reladiff")
    for column in ("compare", "ours s", "ours rows/s", "reladiff s", "reladiff rows/s", "ratio"):
        table.add_column(column, justify="right")
    for name, (ours, theirs) in results.items():
        if theirs is None:
            table.add_row(name, f"{ours.seconds:.2f}", f"{ours.rows_per_s:,.0f}", "not run", "-", "-")
        else:
            ratio = ours.rows_per_s / theirs.rows_per_s
            table.add_row(name, f"{ours.seconds:.2f}", f"{ours.rows_per_s:,.0f}", f"{theirs.seconds:.2f}",
                          f"{theirs.rows_per_s:,.0f}", f"{ratio:.1f}x")
    console.print(table)


def _source(cluster: PgCluster, name: str, mode: DigestMode = DigestMode.STORED) -> PostgresSource:
    return PostgresSource(cluster.dsn(), name=name, mode=mode)


def _load(dsn: str, lo: int, hi: int, devices: int) -> None:
    _sql(dsn, _GENERATE, {"lo": lo, "hi": hi, "devices": devices})
    # what autovacuum does soon after a large insert (insert threshold): hint bits, visibility map, stats
    _sql(dsn, f"VACUUM ANALYZE {TABLE}")


def _sql(dsn: str, query: str, params: dict[str, Any] | None = None) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(query.encode(), params)


def _positive(value: str) -> int:
    number = int(value.replace("_", ""))
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return number


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=_positive, default=10_000_000, help="table size (default 10M)")
    parser.add_argument("--diffs", type=_positive, default=99, help="planted differences (default 99)")
    parser.add_argument("--devices", type=_positive, default=2000, help="devices (default 2000)")
    parser.add_argument("--content", action="store_true", help="compare recomputed content, not digests")
    parser.add_argument("--no-reladiff", action="store_true", help="time only our diff")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
