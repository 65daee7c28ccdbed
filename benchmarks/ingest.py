"""Sustained end-to-end ingest: producer -> ingest API -> stream -> processor -> primary -> standby.

Starts a throw-away local sandbox (ports from ``--port-base``, state in a temp dir), runs the producer
as a process at ``--rate`` events/min for ``--minutes``, and prints per minute: events stored, p50/p99
end-to-end latency (event ``ts`` -> row inserted in the primary) and the standby's replication lag.
Then the trend (so degradation shows), the drain time and ledger-vs-store counts. ``--max`` drives
the producer far above what the sandbox can take for ``--seconds`` and prints the ceiling and the CPU
time of every component, so the bottleneck is named by measurement.

    .venv/bin/python benchmarks/ingest.py --minutes 5 --rate 100000
    .venv/bin/python benchmarks/ingest.py --max --seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from contracts.outputs import OutputKey, RegionalKey, Side, regional
from contracts.store import TABLE
from drills.pipeline.config import ProducerConfig
from drills.pipeline.ledger import LedgerReader
from drills.targets.local.credentials import Credentials
from drills.targets.local.errors import SandboxError
from drills.targets.local.lag import ReplicationLag
from drills.targets.local.postgres import connect
from drills.targets.local.sandbox import Sandbox
from drills.targets.local.settings import SandboxSettings

console = Console()
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class MinuteFigures:
    index: int
    stored: int
    p50_ms: float | None
    p99_ms: float | None
    lag_p50_ms: float | None
    lag_max_ms: float | None
    byte_lag_max: int | None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="sustained run length (default 5)")
    parser.add_argument("--rate", type=int, default=100_000, help="producer events/min (default 100,000)")
    parser.add_argument("--max", action="store_true", help="ceiling mode: overdrive for --seconds")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the --max run (default 60)")
    parser.add_argument("--shards", type=int, default=2, help="shards per stream (default 2)")
    parser.add_argument("--port-base", type=int, default=17500, help="sandbox ports base (10 ports)")
    args = parser.parse_args(argv)
    if args.max and "--rate" not in (argv or sys.argv):
        args.rate = 1_200_000
    for name, value in (("--rate", args.rate), ("--minutes", args.minutes), ("--seconds", args.seconds),
                        ("--shards", args.shards)):
        if value <= 0:
            parser.exit(2, f"{name} must be greater than 0 (got {value})\n")
    return args


def _interrupt(signum: int, _frame: object) -> None:
    """SIGTERM/SIGINT (even when started in the background) unwind through ``finally``: sandbox down."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    root = Path(tempfile.mkdtemp(prefix="htdr-bench-"))
    os.chmod(root, 0o755)  # PostgreSQL runs as an unprivileged account when we are root
    settings = SandboxSettings(state_dir=root / "sandbox", outputs_path=root / "flat-outputs.json",
                               port_base=args.port_base, stream_shards=args.shards)
    sandbox = Sandbox(settings, progress=lambda line: console.log(line))
    try:
        with console.status("starting the sandbox"):
            sandbox.up()
        run_benchmark(args, sandbox, root)
    except SandboxError as err:
        console.print(f"[red]{err}[/red]")
        return 1
    finally:
        with console.status("stopping the sandbox"):
            sandbox.down(force=True)
        shutil.rmtree(root, ignore_errors=True)
    return 0


def run_benchmark(args: argparse.Namespace, sandbox: Sandbox, root: Path) -> None:
    outputs = json.loads(sandbox.settings.outputs_path.read_text())
    api_url = outputs[regional(Side.PRIMARY, RegionalKey.API_URL)]
    duration = args.seconds if args.max else args.minutes * 60.0
    routing = root / "routing.json"
    # the region labels the ledger rows and is the SigV4 signing region of the sandbox's API
    routing.write_text(json.dumps({"api_urls": [api_url], "regions": [outputs[OutputKey.PRIMARY_REGION]]}))
    config = ProducerConfig(rate_per_min=args.rate, routing_file=routing, ledger_path=root / "ledger.db",
                            duration_s=duration)
    config_file = root / "producer.json"
    config_file.write_text(config.model_dump_json())
    creds = sandbox.credentials()
    ports = sandbox.settings.ports
    console.print(f"producer: {args.rate:,} events/min for {duration:.0f} s -> {api_url} "
                  f"({args.shards} shards, async replication over a "
                  f"{sandbox.settings.link_latency_ms:.0f} ms link)")
    cpu_before = cpu_by_component(sandbox.settings.state_dir, root)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    producer = subprocess.Popen(
        [sys.executable, "-m", "drills.pipeline.producer", "--config", str(config_file)],
        stderr=(root / "producer.log").open("w"),
        # the producer signs with the standard chain's credentials; moto accepts any
        env={"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox", **os.environ},
    )
    started = time.time()
    lag_samples: list[ReplicationLag] = []
    loads: list[float] = [os.getloadavg()[0]]
    minutes: list[MinuteFigures] = []
    try:
        while producer.poll() is None:
            lag_samples.append(sandbox.replication_lag())
            loads.append(os.getloadavg()[0])
            elapsed = time.time() - started
            done = int(elapsed // 60)
            while not args.max and len(minutes) < done:
                figures = minute_figures(ports.pg_primary, creds, sandbox.settings.db_name, started,
                                         len(minutes), lag_samples)
                minutes.append(figures)
                print_minute(figures)
            if int(elapsed) % 10 == 0:
                show_progress(root, elapsed, duration)
            time.sleep(1.0)
    finally:
        if producer.poll() is None:
            producer.send_signal(signal.SIGTERM)
            producer.wait(30)
    produced_for = time.time() - started
    cpu_after = cpu_by_component(sandbox.settings.state_dir, root)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the producer, now reaped
    producer_cpu = (children_after.ru_utime + children_after.ru_stime
                    - children_before.ru_utime - children_before.ru_stime)
    cpu_after["producer"] = cpu_before.get("producer", 0.0) + producer_cpu
    drained = drain(sandbox, creds, config.ledger_path, started)
    console.print(f"machine load average (1 min) during the run: mean {statistics.fmean(loads):.1f}, "
                  f"max {max(loads):.1f} on {os.cpu_count()} cores (other work shares the CPU)")
    if args.max:
        print_ceiling(config.ledger_path, produced_for, drained, cpu_before, cpu_after, args.rate)
    else:
        print_summary(minutes, args.rate, drained)


def minute_figures(port: int, creds: Credentials, dbname: str, started: float, index: int,
                   lag_samples: list[ReplicationLag]) -> MinuteFigures:
    """Figures of minute ``index`` of the run, computed inside the primary and from the lag samples."""
    lo, hi = started + 60 * index, started + 60 * (index + 1)
    with connect(port, creds, dbname) as conn:
        row = conn.execute(
            "SELECT count(*),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ingested_at - ts)) * 1000,"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ingested_at - ts)) * 1000"
            f" FROM {TABLE} WHERE ingested_at >= to_timestamp(%s) AND ingested_at < to_timestamp(%s)",
            (lo, hi),
        ).fetchone()
    assert row is not None
    window = [s for s in lag_samples if lo <= s.measured_at < hi]
    lags = [s.time_lag_s * 1000 for s in window if s.time_lag_s is not None]
    bytes_ = [s.byte_lag for s in window if s.byte_lag is not None]
    return MinuteFigures(
        index=index + 1, stored=int(row[0]),
        p50_ms=None if row[1] is None else float(row[1]), p99_ms=None if row[2] is None else float(row[2]),
        lag_p50_ms=statistics.median(lags) if lags else None, lag_max_ms=max(lags) if lags else None,
        byte_lag_max=max(bytes_) if bytes_ else None,
    )


def fmt(value: float | None, unit: str = "") -> str:
    return "not measured" if value is None else f"{value:,.0f}{unit}"


def print_minute(m: MinuteFigures) -> None:
    console.print(f"minute {m.index}: {m.stored:,} events/min stored | e2e p50 {fmt(m.p50_ms, ' ms')}, "
                  f"p99 {fmt(m.p99_ms, ' ms')} | replication lag p50 {fmt(m.lag_p50_ms, ' ms')}, "
                  f"max {fmt(m.lag_max_ms, ' ms')}, max {fmt(m.byte_lag_max, ' bytes')} behind")


def show_progress(root: Path, elapsed: float, duration: float) -> None:
    status_file = root / "ledger.db.status.json"
    if status_file.exists():
        status = json.loads(status_file.read_text())
        console.log(f"{elapsed:5.0f}/{duration:.0f} s: sent {status['sent']:,}, acked {status['acked']:,}, "
                    f"producer rate {status['rate_per_min']:,.0f}/min, errors {status['errors']}")


@dataclass(frozen=True)
class Drain:
    acked: int
    stored: int
    standby: int | None
    seconds: float | None  # None: did not drain within the timeout


def drain(sandbox: Sandbox, creds: Credentials, ledger: Path, started: float, timeout: float = 180.0
          ) -> Drain:
    """Wait until the primary holds every acknowledged event and the standby holds the primary's rows."""
    with LedgerReader(ledger) as reader:
        acked = reader.count_acked()
    ports, db = sandbox.settings.ports, sandbox.settings.db_name
    t0 = time.time()
    stored = standby = 0
    with console.status("draining: processor and replication catching up"):
        while time.time() - t0 < timeout:
            stored = count(ports.pg_primary, creds, db)
            standby = count(ports.pg_standby, creds, db)
            if stored >= acked and standby >= stored:
                return Drain(acked, stored, standby, time.time() - t0)
            time.sleep(0.5)
    return Drain(acked, stored, standby, None)


def count(port: int, creds: Credentials, dbname: str) -> int:
    with connect(port, creds, dbname) as conn:
        row = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    return int(row[0]) if row else 0


def print_summary(minutes: list[MinuteFigures], target: int, drained: Drain) -> None:
    table = Table(title="sustained ingest, per minute")
    for column in ("minute", "events/min", "e2e p50 ms", "e2e p99 ms", "repl lag p50 ms", "repl lag max ms",
                   "max bytes behind"):
        table.add_column(column, justify="right")
    for m in minutes:
        table.add_row(str(m.index), f"{m.stored:,}", fmt(m.p50_ms), fmt(m.p99_ms), fmt(m.lag_p50_ms),
                      fmt(m.lag_max_ms), fmt(m.byte_lag_max))
    console.print(table)
    if minutes:
        rates = [m.stored for m in minutes]
        slope = trend_per_minute(rates)
        mean = statistics.fmean(rates)
        console.print(f"mean {mean:,.0f} events/min, worst minute {min(rates):,} "
                      f"({min(rates) / target:.1%} of the {target:,} target); "
                      f"trend {slope:+,.0f} events/min per minute "
                      f"({slope / mean:+.2%} per minute)")
    print_drain(drained)


def trend_per_minute(values: list[int]) -> float:
    """Least-squares slope: negative means throughput degrades as the run goes on."""
    if len(values) < 2:
        return 0.0
    return statistics.linear_regression(range(len(values)), values).slope


def print_drain(drained: Drain) -> None:
    if drained.seconds is None:
        console.print(f"[red]not drained within the timeout[/red]: acked {drained.acked:,}, primary "
                      f"{drained.stored:,}, standby {drained.standby:,}")
    else:
        console.print(f"drained {drained.seconds:.1f} s after the producer stopped: acked {drained.acked:,}, "
                      f"primary {drained.stored:,}, standby {drained.standby:,} "
                      f"(missing acknowledged: {max(0, drained.acked - drained.stored):,})")


def print_ceiling(ledger: Path, produced_for: float, drained: Drain, cpu_before: dict[str, float],
                  cpu_after: dict[str, float], target: int) -> None:
    with LedgerReader(ledger) as reader:
        acked = reader.count_acked()
    console.print(f"ceiling: producer asked for {target:,}/min, acknowledged "
                  f"{acked / produced_for * 60:,.0f}/min over {produced_for:.0f} s")
    if drained.seconds is not None:
        console.print(f"end-to-end into the standby: {drained.standby or 0:,} rows in "
                      f"{produced_for + drained.seconds:.0f} s = "
                      f"{(drained.standby or 0) / (produced_for + drained.seconds) * 60:,.0f}/min")
    print_drain(drained)
    table = Table(title=f"CPU by component over the {produced_for:.0f} s run (1 core = 100%)")
    table.add_column("component")
    table.add_column("CPU", justify="right")
    used = {k: cpu_after.get(k, 0.0) - cpu_before.get(k, 0.0) for k in cpu_after}
    for name, seconds in sorted(used.items(), key=lambda kv: -kv[1]):
        table.add_row(name, f"{seconds / produced_for:.0%}")
    console.print(table)
    if used:
        top = max(used, key=lambda k: used[k])
        console.print(f"busiest component: {top} ({used[top] / produced_for:.0%} of a core)")


def cpu_by_component(state_dir: Path, bench_root: Path) -> dict[str, float]:
    """CPU seconds per sandbox component, each process charged to its nearest labelled ancestor."""
    procs: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        procs[int(entry.name)] = (int(fields[1]), cmdline, (int(fields[11]) + int(fields[12])) / CLK_TCK)
    totals: dict[str, float] = defaultdict(float)
    for pid, (_, _, cpu) in procs.items():
        label = _label(pid, procs, str(state_dir), str(bench_root))
        if label:
            totals[label] += cpu
    return dict(totals)


def _label(pid: int, procs: dict[int, tuple[int, str, float]], state_dir: str, bench_root: str) -> str | None:
    for _ in range(4):
        if pid not in procs:
            return None
        ppid, cmdline, _ = procs[pid]
        if bench_root in cmdline:
            return _component(cmdline, state_dir)
        pid = ppid
    return None


def _component(cmdline: str, state_dir: str) -> str:
    for needle, name in (("moto_server", "moto"), ("ingest_api", "ingest API"), ("processor", "processor"),
                         ("producer", "producer"), ("valkey", "valkey"), ("link", "latency link")):
        if needle in cmdline:
            return f"{name} {_region(cmdline)}".strip()
    if "postgres" in cmdline or "/pg/" in cmdline:
        return f"postgres {_region(cmdline)}".strip()
    return cmdline.replace(state_dir, "<state>")[:40]


def _region(cmdline: str) -> str:
    """Region named in the command line (config file names carry it); moto only has its port."""
    for region in ("ca-central-1", "ca-west-1"):
        if region in cmdline:
            return region
    port = cmdline.split("--port ")[1].split()[0] if "--port " in cmdline else ""
    return f"port {port}" if port else ""


if __name__ == "__main__":
    sys.exit(main())
