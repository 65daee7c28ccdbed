"""``htdr drill recover`` after the drill process was SIGKILLed mid-fault (its rollbacks never ran):
the sandbox gets back the topology it had before the drill (not the drill's, not 0 ms), and the
killed drill's journal is completed as aborted with the phase it reached."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.journal import DrillJournal, Phase, Status
from drills.drill_runner import read_inflight
from drills.targets.local.sandbox import Sandbox, SandboxSettings
from drills.targets.local_target import LocalTarget
from htdr.cli import app

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
PORT_BASE = 18020


def _wait_for_action(settings: SandboxSettings, action: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the drill ended before its fault was injected"
        if any(a.action == action for a in Sandbox(settings).state().actions):
            return
        time.sleep(0.1)
    raise AssertionError(f"{action} not seen within 180 s")


def test_recover_restores_the_sandbox_after_the_drill_was_killed_mid_fault(
    sandbox: tuple[LocalTarget, SandboxSettings, Path],
) -> None:
    target, settings, root = sandbox
    reports = root / "reports"
    argv = [sys.executable, "-c", "from htdr.cli import app; app()", "drill", "run", "region_outage",
            "--state-dir", str(settings.state_dir), "--port-base", str(PORT_BASE),
            "--reports-dir", str(reports),
            "--set", "rate_per_min=20000", "--set", "load_s=120", "--set", "fault_after_s=3",
            "--set", "replication_mode=async", "--set", "link_latency_ms=5"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_action(settings, "kill_region", proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert read_inflight(reports) is not None            # the killed drill could not clean up
    assert not target.health().ok                        # the primary region is still dead

    result = CliRunner().invoke(app, ["drill", "recover", "--state-dir", str(settings.state_dir),
                                      "--port-base", str(PORT_BASE), "--reports-dir", str(reports)])
    assert result.exit_code == 0, result.output
    assert "restored" in result.output
    assert target.health().ok and target.replication_streaming()
    assert read_inflight(reports) is None
    assert Sandbox(settings).state().link_latency_ms == settings.link_latency_ms == 20.0   # not 5, not 0
    journals = sorted((reports / "drills").glob("drill-*.json"))
    assert len(journals) == 1
    journal = DrillJournal.read(journals[0])
    reached = journal.timeline[-1].phase
    assert journal.status is Status.ABORTED and reached in (Phase.LOAD_STARTED, Phase.FAULT_INJECTED)
    assert journal.notes[0].startswith(f"drill process killed in phase {reached.value}")
    assert journal.rollbacks[-1].action == "recover" and journal.rollbacks[-1].ok
    assert journal.measurements.loss.lost is None                 # never a figure for a killed drill
    assert Sandbox(settings).table.pid("producer") is None   # the orphaned load is gone too
    again = CliRunner().invoke(app, ["drill", "recover", "--state-dir", str(settings.state_dir),
                                     "--port-base", str(PORT_BASE), "--reports-dir", str(reports)])
    assert again.exit_code == 0 and "nothing to recover" in again.output
