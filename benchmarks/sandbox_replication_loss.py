"""Acknowledged rows lost when the sandbox's primary PostgreSQL is SIGKILLed mid-load.

For each variant a fresh sandbox (engines only, ports 16700-16709, temporary state dir) takes COPY
batches (``--batch`` rows, default 200), each its own acknowledged transaction, for ``--seconds``;
then the primary is SIGKILLed, the standby promoted, and acknowledged rows missing on it counted.
Variants: async through a 20 ms link (Aurora-global-like), async on plain loopback (0 ms: hides the
loss), sync through 20 ms (zero-loss mode). Prints write rate, rows lost and the loss window.

    .venv/bin/python -m benchmarks.sandbox_replication_loss [--seconds 3] [--batch 200] [--port-base 16700]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from drills.targets.local import postgres
from drills.targets.local.sandbox import Sandbox
from drills.targets.local.settings import ReplicationMode, SandboxSettings


@dataclass(frozen=True)
class Outcome:
    rows_per_s: float
    acknowledged: int
    lost: int


def _load_until_killed(sandbox: Sandbox, seconds: float, batch: int) -> tuple[int, float]:
    """Write batches until the primary dies; returns (highest acknowledged id, write seconds)."""
    creds, port = sandbox.credentials(), sandbox.settings.ports.pg_primary
    acked, start = 0, time.perf_counter()
    killer = threading.Timer(seconds, sandbox.kill, args=[f"pg-{sandbox.settings.primary_region}"])
    with postgres.connect(port, creds, sandbox.settings.db_name) as conn:
        conn.execute("CREATE TABLE loss_probe (id bigint PRIMARY KEY, payload text NOT NULL)")
        killer.start()
        try:
            while True:
                with conn.cursor().copy("COPY loss_probe (id, payload) FROM STDIN") as copy:
                    for i in range(acked + 1, acked + batch + 1):
                        copy.write_row((i, "x" * 64))
                acked += batch  # autocommit: COPY returned, so the commit was acknowledged
        except psycopg.Error:
            pass
    killer.join()
    return acked, time.perf_counter() - start


def _present_on_promoted_standby(sandbox: Sandbox, acked: int) -> int:
    time.sleep(1.0)  # let the standby replay whatever WAL it had received before the kill
    sandbox.promote_standby()
    with postgres.connect(
        sandbox.settings.ports.pg_standby, sandbox.credentials(), sandbox.settings.db_name
    ) as c:
        row = c.execute("SELECT count(*) FROM loss_probe WHERE id <= %s", (acked,)).fetchone()
    return int(row[0]) if row else 0


def measure(
    root: Path, port_base: int, latency_ms: float, mode: ReplicationMode, seconds: float, batch: int
) -> Outcome:
    settings = SandboxSettings(
        state_dir=root / "state",
        outputs_path=root / "outputs.json",
        port_base=port_base,
        link_latency_ms=latency_ms,
        replication_mode=mode,
        with_pipeline=False,
    )
    sandbox = Sandbox(settings)
    sandbox.up()
    try:
        acked, elapsed = _load_until_killed(sandbox, seconds, batch)
        present = _present_on_promoted_standby(sandbox, acked)
    finally:
        sandbox.down(force=True)
    return Outcome(rows_per_s=acked / elapsed, acknowledged=acked, lost=acked - present)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--port-base", type=int, default=16700)
    parser.add_argument("--batch", type=int, default=200, help="rows per acknowledged commit")
    args = parser.parse_args()
    variants = [
        ("async, 20 ms link", 20.0, ReplicationMode.ASYNC),
        ("async, loopback", 0.0, ReplicationMode.ASYNC),
        ("sync, 20 ms link", 20.0, ReplicationMode.SYNC),
    ]
    print(f"SIGKILL of the primary after {args.seconds:g} s of COPY batches ({args.batch} rows per commit)")
    for name, latency, mode in variants:
        root = Path(tempfile.mkdtemp(prefix="htdr-bench-"))
        root.chmod(0o755)
        try:
            out = measure(root, args.port_base, latency, mode, args.seconds, args.batch)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        window_ms = out.lost / out.rows_per_s * 1000 if out.rows_per_s else 0.0
        print(
            f"  {name:<18} {out.rows_per_s:9,.0f} rows/s   acknowledged {out.acknowledged:8,}   "
            f"lost {out.lost:6,} (~{window_ms:.0f} ms of writes)"
        )


if __name__ == "__main__":
    main()
