"""The runner and every scenario on the in-memory fake target: step order, a failure at each step,
abort, refusal, recover, steady state and the verdict. No engines; each drill takes milliseconds on
the manual clock and takes the same path every time.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.evidence_layout import inflight_marker
from contracts.journal import DrillJournal, Phase, Status
from contracts.store_validation import VALIDATION_NOTE
from drills.drill_runner import DrillResult, RecoverRefused, recover, run_drill
from drills.measure.verdict import STEADY_STATE_NOTE
from drills.scenarios.config import DrillConfig, parse_config
from drills.scenarios.context import MissingCapability, PreconditionFailed
from drills.scenarios.registry import SCENARIOS
from htdr.cli import app
from tests.fakes.fake_target import DR, PRIMARY, RESET, FakeTarget, without
from tests.fakes.manual_clock import ManualClock

#: A short drill (the defaults run in ``test_every_scenario_passes_with_the_default_settings``).
SHORT = {"load_s": 6.0, "fault_after_s": 1.0, "drain_settle_s": 0.3, "recovery_timeout_s": 20.0,
         "session_rate_per_s": 20}

#: The actions each scenario takes, in order, on a healthy target (rollbacks not included).
STEPS = {
    "region_outage": ["configure", "start_load", f"kill_region {PRIMARY}", f"promote_writer {DR}",
                      f"repoint {DR}", f"start_processor {DR}"],
    "link_partition": ["configure", "start_load", "cut_link", f"kill_region {PRIMARY}",
                       f"promote_writer {DR}", f"repoint {DR}", f"start_processor {DR}"],
    "planned_switchover": ["configure", "start_load", f"repoint {DR}", f"stop_processor {PRIMARY}",
                           f"promote_writer {DR}", f"start_processor {DR}"],
    "processor_crash": ["configure", "start_load", f"stop_processor {PRIMARY}", f"start_processor {PRIMARY}"],
    "cache_failover": ["configure", "kill_cache_primary", "promote_cache_replica"],
}


def _drill(tmp_path: Path, scenario: str, target: FakeTarget | None = None, config: DrillConfig | None = None,
           stop: threading.Event | None = None) -> tuple[DrillResult, FakeTarget]:
    target = target or FakeTarget(ManualClock(), tmp_path)
    result = run_drill(target, scenario, config or parse_config(SHORT), tmp_path / "reports",
                       stop=stop, clock=target.clock)
    return result, target


def test_every_scenario_has_its_steps_listed() -> None:
    assert set(STEPS) == set(SCENARIOS)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_scenario_passes_with_the_default_settings(tmp_path: Path, scenario: str) -> None:
    result, target = _drill(tmp_path, scenario, config=DrillConfig())
    j = result.journal
    assert j.status is Status.PASSED, j.notes
    assert [c for c in target.calls if c != RESET] == STEPS[scenario]
    assert j.steady_state is not None and j.steady_state.restored and j.steady_state.before
    assert target.health().ok and not inflight_marker(tmp_path / "reports").exists()
    assert [e.phase for e in j.timeline][-1] is Phase.ROLLED_BACK
    assert all(r.ok for r in j.rollbacks)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_phases_come_in_order(tmp_path: Path, scenario: str) -> None:
    result, _ = _drill(tmp_path, scenario)
    phases = [e.phase for e in result.journal.timeline]
    order = [p for p in Phase if p in phases]
    assert phases == sorted(phases, key=order.index)
    assert {Phase.FAULT_INJECTED, Phase.FIRST_ACK_WRITE_READABLE, Phase.BACKLOG_DRAINED} <= set(phases)


@pytest.mark.parametrize(("scenario", "step"), [(s, step) for s, steps in STEPS.items() for step in steps])
def test_a_failing_step_aborts_and_every_earlier_action_is_rolled_back(
        tmp_path: Path, scenario: str, step: str) -> None:
    target = FakeTarget(ManualClock(), tmp_path, fail_on={step.split(" ")[0]})
    with pytest.raises(RuntimeError, match="injected failure"):  # journalled, then raised again
        _drill(tmp_path, scenario, target=target)
    (path,) = (tmp_path / "reports" / "drills").glob("drill-*.json")
    j = DrillJournal.read(path)
    assert j.status is Status.ABORTED and "injected failure" in j.abort_reason
    done = STEPS[scenario][:STEPS[scenario].index(step) + 1]
    assert [c for c in target.calls if c != RESET] == done
    assert target.health().ok, "the rollbacks left the target changed"
    assert j.steady_state is not None and j.steady_state.restored
    assert all(r.ok for r in j.rollbacks) and not inflight_marker(tmp_path / "reports").exists()
    assert j.measurements.loss.lost is None  # no loss figure from a drill that did not finish


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_an_operator_stop_after_the_fault_aborts_and_rolls_back(tmp_path: Path, scenario: str) -> None:
    stop = threading.Event()
    fault = STEPS[scenario][-2]
    target = FakeTarget(ManualClock(), tmp_path, on_call=lambda name: stop.set() if name == fault else None)
    result, _ = _drill(tmp_path, scenario, target=target, stop=stop)
    assert result.journal.status is Status.ABORTED
    assert result.journal.abort_reason == "stopped by the operator"
    assert result.journal.rollbacks and all(r.ok for r in result.journal.rollbacks)
    assert target.health().ok and result.journal.steady_state is not None
    assert result.journal.steady_state.restored


def test_an_unhealthy_target_is_refused_before_anything_is_touched(tmp_path: Path) -> None:
    target = FakeTarget(ManualClock(), tmp_path)
    target.unhealthy.add("pg-fake-east")
    with pytest.raises(PreconditionFailed, match="pg-fake-east"):
        _drill(tmp_path, "region_outage", target=target)
    assert target.calls == [] and not (tmp_path / "reports").exists()


class NotReplicating(FakeTarget):
    """Healthy components, but neither the database nor the cache replicates."""

    def replication_streaming(self) -> bool:
        return False

    def cache_replication_offsets(self) -> None:
        return None


@pytest.mark.parametrize(("scenario", "reason"), [
    ("region_outage", "replication: the DR database is not streaming from the primary"),
    ("cache_failover", "cache: replica not attached to the primary"),
])
def test_a_scenario_precondition_refuses_before_anything_is_touched(
        tmp_path: Path, scenario: str, reason: str) -> None:
    target = NotReplicating(ManualClock(), tmp_path)
    with pytest.raises(PreconditionFailed) as err:
        _drill(tmp_path, scenario, target=target)
    assert str(err.value) == f"fake target not ready for {scenario}: {reason}"
    assert target.calls == [] and not (tmp_path / "reports").exists()


@pytest.mark.parametrize(("scenario", "lacking", "capability"), [
    ("cache_failover", ("write_session", "session_present"), "session cache"),
    ("region_outage", ("kill_region",), "region fault"),
    ("processor_crash", ("snapshot",), "event store"),
])
def test_a_target_lacking_a_role_is_refused_in_one_line(
        tmp_path: Path, scenario: str, lacking: tuple[str, ...], capability: str) -> None:
    target = without(*lacking)(ManualClock(), tmp_path)
    with pytest.raises(MissingCapability) as err:
        _drill(tmp_path, scenario, target=target)
    assert str(err.value) == (f"scenario {scenario} cannot run on the fake target: it lacks the "
                              f"{capability} capability")
    assert target.calls == [] and not (tmp_path / "reports").exists()


def test_rollbacks_that_leave_the_target_unhealthy_fail_the_drill(tmp_path: Path) -> None:
    class BrokenReset(FakeTarget):
        def reset(self) -> None:
            self.calls.append(RESET)  # claims to restore the topology, leaves it as the drill made it

    target = BrokenReset(ManualClock(), tmp_path)
    result, _ = _drill(tmp_path, "region_outage", target=target)
    j = result.journal
    assert j.status is Status.FAILED
    assert j.steady_state is not None and not j.steady_state.restored
    assert any(n.startswith(STEADY_STATE_NOTE) and "topology" in n for n in j.notes)
    assert all(o.passed for o in j.objectives)  # the figures were fine: the steady state failed it


def test_a_failed_validation_suite_fails_the_drill(tmp_path: Path) -> None:
    from contracts.journal import IntegrityResult

    def validator(request: object, progress: object) -> list[IntegrityResult]:
        return [IntegrityResult(name="gx_validity", passed=False, summary="1 failed",
                                details={"suite": "validity", "region": DR})]

    target = FakeTarget(ManualClock(), tmp_path)
    result = run_drill(target, "region_outage", parse_config(SHORT), tmp_path / "reports",
                       clock=target.clock, validator=validator)
    assert result.journal.status is Status.FAILED
    assert any(n.startswith(f"{VALIDATION_NOTE}failed: gx_validity") for n in result.journal.notes)


def test_recover_restores_the_target_after_a_killed_drill(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    target = FakeTarget(ManualClock(), tmp_path)
    target.kill_region(PRIMARY)  # the drill process died here: no rollback ran
    inflight_marker(reports).parent.mkdir(parents=True)
    inflight_marker(reports).write_text(json.dumps({"run_id": "r1", "scenario": "region_outage",
                                                    "pid": 2 ** 22 + 1}))
    with pytest.raises(RecoverRefused, match="still running"):
        recover(target, reports, alive=lambda pid: True)
    assert not target.health().ok and inflight_marker(reports).exists()
    marker = recover(target, reports, alive=lambda pid: False)
    assert marker is not None and marker["run_id"] == "r1"
    assert target.health().ok and not inflight_marker(reports).exists()
    assert recover(target, reports, alive=lambda pid: False) is None  # nothing left to recover


def test_judge_agrees_with_a_saved_journal_and_catches_a_tampered_one(tmp_path: Path) -> None:
    result, _ = _drill(tmp_path, "region_outage")
    cli = CliRunner()
    agreed = cli.invoke(app, ["drill", "judge", str(result.path)])
    assert agreed.exit_code == 0 and "verdict agrees: passed" in agreed.output

    tampered = json.loads(result.path.read_text())
    tampered["measurements"]["rto"]["value"] = 7200.0  # an RTO over the objective, verdict left "passed"
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(tampered))
    caught = cli.invoke(app, ["drill", "judge", str(path)])
    assert caught.exit_code == 1
    assert "DISAGREES" in caught.output and "stored passed, recomputed failed" in caught.output
    assert "rto_within_objective" in caught.output

    flipped = json.loads(result.path.read_text()) | {"status": "failed"}
    path.write_text(json.dumps(flipped))
    assert cli.invoke(app, ["drill", "judge", str(path)]).exit_code == 1


def test_judge_refuses_a_file_that_is_not_a_journal_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}")
    result = CliRunner().invoke(app, ["drill", "judge", str(path)])
    assert result.exit_code == 1 and "not a readable drill journal" in result.output
    assert os.linesep.join(result.output.strip().splitlines()).count("\n") == 0


def test_an_async_single_write_outage_on_the_fake_loses_what_was_not_replicated(tmp_path: Path) -> None:
    """The fake models the exposure: async replication lags one tick, so the kill loses that tick's
    rows; the key comparison and the checksum diff on the snapshot name the same loss."""
    config = parse_config({**SHORT, "replication_mode": "async"})
    result, _ = _drill(tmp_path, "region_outage", config=config)
    j = result.journal
    loss = j.measurements.loss
    assert j.parameters["ingest"] == "single"
    assert loss.lost is not None and loss.lost > 0 and loss.lost_event_ids
    proof = {i.name: i for i in j.integrity}["ledger_vs_surviving_store"]
    assert proof.details["missing"] == loss.lost and not proof.passed
    assert {o.name: o.passed for o in j.objectives}["zero_acknowledged_loss"] is False
    assert j.status is Status.FAILED and j.steady_state is not None and j.steady_state.restored
