"""A drill killed mid-fault: its rollbacks are in the state file and ``recover`` runs them newest first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.evidence_layout import inflight_marker
from drills.targets.aws.executor import Executor
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.plans import plan_for
from drills.targets.aws.recover import DrillStillRunning
from drills.targets.aws.rollback_state import PendingRollbacks, RollbackState, state_path
from drills.targets.aws.safety import SafetyPolicy
from drills.targets.aws.session import AwsRequest, recover_aws
from htdr import aws_commands as aws_cli
from htdr.cli import app
from htdr.drill_commands import _alive
from tests.targets.aws.aws_world import ACTIONS, SEQUENCES
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.stubs import StubbedAws

KILLED_AFTER = 4  # region_outage: ingest blocked, processors stopped, subnets disrupted, DB failed over


def _killed_drill(outputs: AwsOutputs, reports: Path, aws: StubbedAws) -> RollbackState:
    """Run the first actions of region_outage, then drop everything as a SIGKILL would."""
    state = RollbackState(state_path(reports, outputs.suffix))
    state.begin("killed1", "region_outage")
    executor = Executor(aws, state, poll_s=0.0)
    for action in plan_for("region_outage", outputs).actions[:KILLED_AFTER]:
        executor.perform(action)
    data = json.loads(state.path.read_text())
    data["pid"] = 2**22 + 1  # a pid no process has: the killed drill
    state.path.write_text(json.dumps(data))
    return state


def _request(reports: Path) -> AwsRequest:
    return AwsRequest(FIXTURE, SafetyPolicy(allowlist=frozenset({"drill1"})), reports, poll_s=0.0)


def test_recover_runs_the_saved_rollbacks_newest_first(outputs: AwsOutputs, tmp_path: Path) -> None:
    aws = StubbedAws()
    done = SEQUENCES["region_outage"][:KILLED_AFTER]
    for name in done:
        ACTIONS[name].do(aws)
    state = _killed_drill(outputs, tmp_path, aws)
    assert [p.action for p in state.pending()] == done
    for name in reversed(done):
        ACTIONS[name].undo(aws, True)

    results = recover_aws(_request(tmp_path), aws, _alive)

    assert [r.action for r in results] == list(reversed(done))
    assert all(r.error is None for r in results)
    aws.assert_done()
    assert not state.path.exists()


def test_a_failing_rollback_stays_pending_and_the_others_still_run(
    outputs: AwsOutputs, tmp_path: Path
) -> None:
    aws = StubbedAws()
    done = SEQUENCES["region_outage"][:2]  # ingest blocked, processors stopped
    for name in done:
        ACTIONS[name].do(aws)
    state = RollbackState(state_path(tmp_path, outputs.suffix))
    state.begin("killed2", "region_outage")
    executor = Executor(aws, state, poll_s=0.0)
    for action in plan_for("region_outage", outputs).actions[:2]:
        executor.perform(action)
    aws.fail("ecs", "ca-central-1", "update_service", "ServerException")  # restoring the processors fails
    ACTIONS["ingest_blocked_primary"].undo(aws, True)

    results = recover_aws(_request(tmp_path), aws, _alive)

    assert [(r.action, r.error is None) for r in results] == [
        ("processors_stopped_primary", False),
        ("ingest_blocked_primary", True),
    ]
    assert [p.action for p in state.pending()] == ["processors_stopped_primary"]
    with pytest.raises(PendingRollbacks, match="run `htdr drill recover --target aws` first"):
        state.begin("next", "processor_crash")


def test_recover_refuses_while_the_drill_is_alive(outputs: AwsOutputs, tmp_path: Path) -> None:
    state = RollbackState(state_path(tmp_path, outputs.suffix))
    state.begin("alive1", "processor_crash")
    state.push("x", "undo x", ())
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        data = json.loads(state.path.read_text())
        data["pid"] = sleeper.pid
        state.path.write_text(json.dumps(data))
        with pytest.raises(DrillStillRunning, match=f"pid {sleeper.pid}"):
            recover_aws(_request(tmp_path), StubbedAws(), _alive)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_cli_recover_target_aws(outputs: AwsOutputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``htdr drill recover --target aws`` with the default outputs path and reports dir."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfn-outputs").mkdir()
    (tmp_path / "cfn-outputs" / "flat-outputs.json").write_text(FIXTURE.read_text())
    aws = StubbedAws()
    done = SEQUENCES["region_outage"][:KILLED_AFTER]
    for name in done:
        ACTIONS[name].do(aws)
    state = _killed_drill(outputs, Path("reports"), aws)
    marker = inflight_marker(Path("reports"))  # the runner's marker, naming the killed drill's process
    marker.write_text(json.dumps({"run_id": "killed1", "scenario": "region_outage", "pid": 2**22 + 1,
                                  "process": {"pid": 2**22 + 1}, "journal": "", "topology": None}))
    for name in reversed(done):
        ACTIONS[name].undo(aws, True)
    monkeypatch.setattr(aws_cli, "boto3_clients", lambda: aws)

    result = CliRunner().invoke(
        app, ["drill", "recover", "--target", "aws", "--allow-suffix", "drill1", "--poll-s", "0"]
    )

    assert result.exit_code == 0, result.output
    assert (
        "ok     wait for ca-central-1 to rejoin as secondary, then switch the writer back to it"
        in result.output
    )
    aws.assert_done()
    assert not (tmp_path / state.path).exists()
    assert not marker.exists()  # recovered through the runner's recover: the drill is no longer in flight
    again = CliRunner().invoke(app, ["drill", "recover", "--target", "aws", "--allow-suffix", "drill1"])
    assert "no interrupted aws drill: nothing to recover" in again.output
