"""Store validation cost: the Great Expectations suites over one drill's rows as the table grows.

A drill's suites read the rows of the devices its ledger names (a primary-key range per device), so
their cost should follow the drill, not the table. This builds a table of background rows on one
PostgreSQL server (ports 19600-19699, temporary dir), plus one drill's rows on devices of their own
(``--drill-rows``, default 100,000: one minute at 100k events/min), and times ``run_suites`` at every
table size (default 1M, 2.5M, 5M rows); the drill is the same each time.

    .venv/bin/python -m benchmarks.expectations [--sizes 1000000,2500000,5000000] [--drill-rows N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

from compliance.expectations.suite_names import LEDGER_SUITE, SCHEMA_SUITE, VALIDITY_SUITE
from compliance.expectations.suite_runner import run_suites
from contracts.events import SEQ_BITS, LedgerRow
from contracts.store import STORE_DDL, TABLE
from drills.targets.local.scratch_postgres import PgCluster, free_port

PORTS = (19600, 19700)
BACKGROUND_DEVICES = 2000
DRILL_DEVICES = 2000  # a drill fleet, as the sandbox producer simulates
DRILL_FIRST_DEVICE = 500_001  # the drill's fleet: devices no background row uses
SHORT_NAMES = {SCHEMA_SUITE: "schema", VALIDITY_SUITE: "validity", LEDGER_SUITE: "ledger"}
console = Console()

#: Synthetic rows ``i`` in [lo, hi) spread round robin over ``devices`` devices from ``first``;
#: values lie inside the suites' ranges (the point is the cost, not findings).
_GENERATE = f"""
INSERT INTO {TABLE} (event_key, device_id, seq, patient_ref, ts, heart_rate, spo2, systolic,
                           diastolic, resp_rate, temp_c, payload_digest)
SELECT (d << {SEQ_BITS}) | seq, 'dev-' || lpad(d::text, 6, '0'), seq,
       'pt-' || lpad(to_hex(d * 7919), 12, '0'), to_timestamp(1767225600) + i * interval '600 microseconds',
       55 + i %% 50, 92 + i %% 9, 100 + i %% 50, 60 + i %% 35, 10 + i %% 12, 36.0 + (i %% 25) / 10.0,
       hashtextextended(i::text, 0)
FROM (SELECT i, %(first)s + mod(i, %(devices)s) AS d, i / %(devices)s AS seq
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) AS i) AS r
"""


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    base = Path(tempfile.mkdtemp(prefix="htdr-ge-bench-"))
    base.chmod(0o755)
    cluster = PgCluster.create(free_port(*PORTS))
    try:
        _run(args, cluster.dsn(), base)
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def _run(args: argparse.Namespace, dsn: str, base: Path) -> None:
    _sql(dsn, STORE_DDL)
    _load(dsn, 0, args.drill_rows, DRILL_FIRST_DEVICE, DRILL_DEVICES)
    ledger = _drill_ledger(args.drill_rows)
    table = Table("table rows", "drill rows", "schema s", "validity s", "vs ledger s", "total s",
                  "drill rows/s", title="GE suites over one drill's rows (scoped by ledger devices)")
    loaded = 0
    for size in args.sizes:
        started = time.perf_counter()
        _load(dsn, loaded, size, 1, BACKGROUND_DEVICES)
        _sql(dsn, f"VACUUM ANALYZE {TABLE}")
        loaded = size
        console.print(f"table: {size + args.drill_rows:,} rows "
                      f"(loaded in {time.perf_counter() - started:.1f} s)")
        timings = _time_suites(dsn, ledger, base / str(size))
        total = sum(timings.values())
        table.add_row(f"{size + args.drill_rows:,}", f"{args.drill_rows:,}",
                      *(f"{timings[s]:.2f}" for s in ("schema", "validity", "ledger")),
                      f"{total:.2f}", f"{args.drill_rows / total:,.0f}")
    console.print(table)


def _time_suites(dsn: str, ledger: list[LedgerRow], out: Path) -> dict[str, float]:
    """Seconds per suite, read from the progress lines run_suites prints after each validation."""
    stamps: list[tuple[str, float]] = []
    started = time.perf_counter()
    results = run_suites({"bench": dsn}, ledger, out,
                         progress=lambda line: stamps.append((line, time.perf_counter())))
    if not all(r.passed for r in results):
        raise SystemExit("suites failed on generated data: " + "; ".join(r.summary for r in results))
    seconds, previous = {}, started
    for line, at in stamps:  # "<suite> on bench: ..." after each suite, in suite order
        seconds[SHORT_NAMES[line.split(" ", 1)[0]]], previous = at - previous, at
    return seconds


def _drill_ledger(rows: int) -> list[LedgerRow]:
    """Every drill row sent and acknowledged (the store holds them all)."""
    return [
        LedgerRow(((DRILL_FIRST_DEVICE + i % DRILL_DEVICES) << SEQ_BITS) | (i // DRILL_DEVICES), 0, 0.0, 0.1)
        for i in range(rows)
    ]


def _load(dsn: str, lo: int, hi: int, first: int, devices: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(_GENERATE, {"lo": lo, "hi": hi, "first": first, "devices": devices})


def _sql(dsn: str, statement: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)


def _sizes(value: str) -> list[int]:
    try:
        sizes = [int(v) for v in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes {value!r}: give comma-separated row counts") from None
    if any(s <= 0 for s in sizes) or sizes != sorted(sizes):
        raise argparse.ArgumentTypeError(f"--sizes {value!r}: positive and increasing")
    return sizes


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=_sizes, default=[1_000_000, 2_500_000, 5_000_000],
                        help="background table sizes, increasing (default 1M,2.5M,5M)")
    parser.add_argument("--drill-rows", type=int, default=100_000, help="rows of the drill (default 100k)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
