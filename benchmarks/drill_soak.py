"""Soak: N consecutive region-outage drills in sync/dual mode on one sandbox; prints loss and RTO.

Goal: 0 acknowledged events lost in every run; RTO p50 and max are printed (measured, not asserted).
Each drill's rollback rebuilds the sandbox, so every run starts from the original topology.

    .venv/bin/python -m benchmarks.drill_soak --runs 20 --port-base 18100
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from contracts.evidence_layout import REPORTS_DIR
from drills.drill_runner import run_drill
from drills.scenarios.config import parse_config
from drills.targets.local_session import local_target, sandbox_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drill_soak", description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--port-base", type=int, default=18100)
    parser.add_argument("--rate-per-min", type=int, default=60000)
    parser.add_argument("--load-s", type=float, default=16.0)
    parser.add_argument("--fault-after-s", type=float, default=5.0)
    parser.add_argument("--link-latency-ms", type=float, default=20.0)
    parser.add_argument("--reports-dir", type=Path, default=None, help="default: a temporary directory")
    args = parser.parse_args(argv)
    config = parse_config({"replication_mode": "sync", "rate_per_min": args.rate_per_min,
                           "load_s": args.load_s, "fault_after_s": args.fault_after_s,
                           "link_latency_ms": args.link_latency_ms})
    root = Path(tempfile.mkdtemp(prefix="htdr-soak-"))
    root.chmod(0o755)
    reports = args.reports_dir or root / REPORTS_DIR
    rtos: list[float] = []
    lost_total = unmeasured = 0
    print(f"{'run':>3} {'status':>8} {'acked':>7} {'lost':>5} {'in-doubt':>8} {'RTO s':>7} {'wall s':>7}")
    try:
        settings = sandbox_settings(root / "sandbox", args.port_base, root / "outputs.json")
        with local_target(settings) as target:
            for i in range(1, args.runs + 1):
                start = time.monotonic()
                j = run_drill(target, "region_outage", config, reports).journal
                loss, rto = j.measurements.loss, j.measurements.rto.value
                bad = loss.lost_or_changed
                lost_total += bad or 0
                unmeasured += bad is None
                if rto is not None:
                    rtos.append(rto)
                print(f"{i:>3} {j.status.value:>8} {_n(loss.acknowledged):>7} {_n(bad):>5} "
                      f"{_n(loss.in_doubt):>8} {'n/m' if rto is None else f'{rto:.3f}':>7} "
                      f"{time.monotonic() - start:>7.1f}", flush=True)
    finally:
        if args.reports_dir is None and lost_total == 0:
            shutil.rmtree(root, ignore_errors=True)
        elif lost_total:
            print(f"journals kept for inspection: {reports / 'drills'}")
    print(f"runs: {args.runs}, acknowledged events lost in total: {lost_total}"
          + (f" ({unmeasured} runs not measured)" if unmeasured else ""))
    if rtos:
        print(f"RTO p50 {statistics.median(rtos):.3f} s, max {max(rtos):.3f} s "
              f"({len(rtos)} of {args.runs} runs measured)")
    else:
        print("RTO: not measured in any run")
    return 0 if lost_total == 0 and unmeasured == 0 else 1



def _n(value: int | None) -> str:
    """A count, or n/m when the run did not measure it (aborted)."""
    return "n/m" if value is None else str(value)

if __name__ == "__main__":
    raise SystemExit(main())
