"""One drill at a time per target, and a marker whose process must really be the drill."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from drills.drill_runner import RecoverRefused, read_inflight, recover, run_drill
from drills.inflight import DrillRunning, ProcessIdentity, marker_process_alive, target_lock, write_marker
from drills.scenarios.config import DrillConfig
from drills.targets.local_session import sandbox_settings
from drills.targets.local_target import LocalTarget


def test_a_second_drill_on_the_same_target_is_refused_naming_the_running_one(tmp_path: Path) -> None:
    target = LocalTarget(sandbox_settings(tmp_path / "sandbox", 18970))
    lock_dir = target.lock_dir()
    assert lock_dir is not None and tmp_path not in lock_dir.parents   # outlives the state dir's rebuilds
    with target_lock(lock_dir, {"run_id": "abc123", "scenario": "region_outage"}), \
            pytest.raises(DrillRunning, match=r"another drill is running.*region_outage \(run abc123, pid"):
        run_drill(target, "processor_crash", DrillConfig(), tmp_path / "reports")
    assert read_inflight(tmp_path / "reports") is None          # refused before anything was written


def test_the_lock_is_released_when_its_process_dies_even_by_sigkill(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from drills.inflight import target_lock\n"
        f"with target_lock(Path({str(tmp_path)!r}), {{'run_id': 'r1', 'scenario': 's'}}):\n"
        "    print('locked', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(DrillRunning, match="run r1"), target_lock(tmp_path, {"run_id": "r2"}):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
    with target_lock(tmp_path, {"run_id": "r3"}):              # the kernel released it
        pass


def test_a_reused_pid_is_not_the_drill_start_time_and_command_line_must_match(tmp_path: Path) -> None:
    write_marker(tmp_path, {"run_id": "r1", "scenario": "region_outage"})
    marker = read_inflight(tmp_path)
    assert marker is not None and marker_process_alive(marker)          # this process: the drill
    me = ProcessIdentity.of(os.getpid())
    assert me is not None
    reused = {**marker, "process": {**me.to_json(), "start_ticks": me.start_ticks - 1}}
    assert not marker_process_alive(reused)                             # same pid, other process
    other = {**marker, "process": {**me.to_json(), "cmdline": "postgres: checkpointer"}}
    assert not marker_process_alive(other)
    gone = {**marker, "process": {"pid": 2**22 + 7, "start_ticks": 1, "cmdline": "x"}}
    assert not marker_process_alive(gone)


def test_recover_refuses_while_the_marker_names_a_live_drill(tmp_path: Path) -> None:
    write_marker(tmp_path, {"run_id": "live1", "scenario": "region_outage"})
    target = LocalTarget(sandbox_settings(tmp_path / "sandbox", 18975))
    with pytest.raises(RecoverRefused, match=r"drill live1 \(region_outage\) is still running"):
        recover(target, tmp_path)                 # the marker names this very process: the drill
    assert recover(target, tmp_path / "elsewhere") is None               # no marker: nothing to do
