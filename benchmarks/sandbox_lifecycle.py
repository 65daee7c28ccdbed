"""Sandbox lifecycle timings: ``up`` (pipeline on), ``status``, standby and cache promotion, ``down``.

Runs ``--runs`` times in temporary state dirs on ports 16800-16809 and prints each phase per run.
The target for ``up`` is < 15 s; the machine is shared, so figures are pessimistic.

    .venv/bin/python -m benchmarks.sandbox_lifecycle [--runs 2] [--port-base 16800]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from drills.targets.local.sandbox import Sandbox
from drills.targets.local.settings import SandboxSettings

PHASES = ("up", "status", "promote standby", "promote cache", "down")


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def one_run(root: Path, port_base: int) -> dict[str, float]:
    sandbox = Sandbox(
        SandboxSettings(state_dir=root / "state", outputs_path=root / "outputs.json", port_base=port_base)
    )
    timings: dict[str, float] = {}
    try:
        timings["up"] = _timed(sandbox.up)
        timings["status"] = _timed(sandbox.status)
        timings["promote standby"] = _timed(sandbox.promote_standby)
        timings["promote cache"] = _timed(sandbox.promote_cache)
    finally:
        timings["down"] = _timed(lambda: sandbox.down(force=True))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--port-base", type=int, default=16800)
    args = parser.parse_args()
    print("run  " + "".join(f"{phase:>17}" for phase in PHASES))
    for run in range(1, args.runs + 1):
        root = Path(tempfile.mkdtemp(prefix="htdr-bench-"))
        root.chmod(0o755)
        try:
            timings = one_run(root, args.port_base)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        print(f"{run:<5}" + "".join(f"{timings[phase]:>16.2f}s" for phase in PHASES))


if __name__ == "__main__":
    main()
