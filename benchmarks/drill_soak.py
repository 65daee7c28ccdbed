"""Soak: region-outage drills on one sandbox, in two series; prints loss, agreement and RTO per run.

1. ``async`` / single ingest with a SET exposure before the kill (the primary processor frozen for
   ``--exposure-s`` while the load runs): goal, in every run, loss exactly the events the ledger
   says were exposed, and RPO (metric) agreeing with RPO (data) within the stated tolerance.
2. ``sync`` / dual ingest (the zero-loss configuration): goal, 0 acknowledged events lost every run.

Measured, not asserted: the closing lines print how many runs met each goal. Each drill's rollback
rebuilds the sandbox, so every run starts from the topology the sandbox was started with.

    .venv/bin/python -m benchmarks.drill_soak --runs 20 --port-base 18100
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from contracts.evidence_layout import REPORTS_DIR
from contracts.journal import DrillJournal
from drills.drill_runner import SET_EXPOSURE, run_drill
from drills.scenarios.config import DrillConfig, parse_config
from drills.targets.local_session import local_target, sandbox_settings
from drills.targets.local_target import LocalTarget

HEADER = (f"{'run':>3} {'status':>8} {'acked':>7} {'exposed':>7} {'lost':>5} {'RPO data':>8} "
          f"{'RPO metric':>10} {'tol':>6} {'agree':>5} {'RTO s':>6} {'wall s':>6}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.drill_soak", description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="drills per series")
    parser.add_argument("--series", choices=("both", "async", "sync"), default="both")
    parser.add_argument("--port-base", type=int, default=18100)
    parser.add_argument("--rate-per-min", type=int, default=60000)
    parser.add_argument("--load-s", type=float, default=12.0)
    parser.add_argument("--fault-after-s", type=float, default=3.0)
    parser.add_argument("--exposure-s", type=float, default=2.0)
    parser.add_argument("--link-latency-ms", type=float, default=20.0)
    parser.add_argument("--reports-dir", type=Path, default=None, help="default: a temporary directory")
    args = parser.parse_args(argv)
    base = {"rate_per_min": args.rate_per_min, "load_s": args.load_s, "fault_after_s": args.fault_after_s,
            "link_latency_ms": args.link_latency_ms}
    series = {
        "async": parse_config({**base, "replication_mode": "async", "exposure": "processor_pause",
                               "exposure_s": args.exposure_s}),
        "sync": parse_config({**base, "replication_mode": "sync"}),
    }
    chosen = [name for name in series if args.series in ("both", name)]
    root = Path(tempfile.mkdtemp(prefix="htdr-soak-"))
    root.chmod(0o755)
    reports = args.reports_dir or root / REPORTS_DIR
    summaries: list[str] = []
    ok = True
    try:
        settings = replace(sandbox_settings(root / "sandbox", args.port_base, root / "outputs.json"),
                           link_latency_ms=args.link_latency_ms)
        with local_target(settings) as target:
            for name in chosen:
                good, summary = _series(target, name, series[name], args.runs, reports)
                summaries.append(summary)
                ok = ok and good
    finally:
        if args.reports_dir is None and ok:
            shutil.rmtree(root, ignore_errors=True)
        elif not ok:
            print(f"journals kept for inspection: {reports / 'drills'}")
    for line in summaries:
        print(line)
    return 0 if ok else 1


def _series(target: LocalTarget, name: str, config: DrillConfig, runs: int, reports: Path
            ) -> tuple[bool, str]:
    exposed = config.exposure != "none"
    print(f"\n{name}/{config.ingest_mode.value}: {runs} region-outage drills"
          + (f", set exposure {config.exposure} {config.exposure_s:g} s" if exposed else ""))
    print(HEADER)
    as_expected = agreed = 0
    rtos: list[float] = []
    for i in range(1, runs + 1):
        start = time.monotonic()
        j = run_drill(target, "region_outage", config, reports).journal
        m = j.measurements
        exposure = next((r for r in j.integrity if r.name == SET_EXPOSURE), None)
        expected = exposure.details.get("expected_lost") if exposure else 0
        lost = m.loss.lost_or_changed
        as_expected += lost is not None and lost == expected
        agreed += m.rpo_agree is True
        if m.rto.value is not None:
            rtos.append(m.rto.value)
        print(f"{i:>3} {j.status.value:>8} {_n(m.loss.acknowledged):>7} "
              f"{_n(exposure.details.get('exposed') if exposure else None):>7} {_n(lost):>5} "
              f"{_s(m.rpo_data.value):>8} {_s(m.rpo_metric.value):>10} {m.rpo_agreement_tolerance_s:>6.3f} "
              f"{'yes' if m.rpo_agree else 'NO':>5} {_s(m.rto.value):>6} {time.monotonic() - start:>6.1f}",
              flush=True)
        _explain(j)
    goal = "loss exactly as exposed" if exposed else "0 acknowledged events lost"
    rto = f"; RTO p50 {statistics.median(rtos):.3f} s, max {max(rtos):.3f} s" if rtos else ""
    summary = (f"{name}/{config.ingest_mode.value}: {goal} in {as_expected}/{runs}; RPO metric agrees with "
               f"data in {agreed}/{runs}{rto}")
    return as_expected == runs and agreed == runs, summary


def _explain(j: DrillJournal) -> None:
    """A run that missed a goal says why, from its journal."""
    if j.measurements.rpo_agree is not True:
        print(f"      agreement: {j.measurements.rpo_agreement_note}")
    if j.status.value == "aborted":
        print(f"      aborted: {j.measurements.rpo_data.note}")


def _n(value: object) -> str:
    """A count, or n/m when the run did not measure it (aborted)."""
    return "n/m" if value is None else str(value)


def _s(value: float | None) -> str:
    return "n/m" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
