"""Each scenario's AWS step sequence driven through botocore Stubber: success, and a failure at each
step; every rollback runs (newest first), every stubbed call is consumed, the state file ends empty."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from drills.drill_runner import run_rollbacks
from drills.targets.aws.executor import Executor
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.plan_runner import run_plan
from drills.targets.aws.plans import plan_for
from drills.targets.aws.rollback_state import RollbackState
from tests.targets.aws.aws_world import ACTIONS, GLOBAL, SEQUENCES, _db_arns, _global
from tests.targets.aws.stubs import StubbedAws

CASES = [(scenario, failing) for scenario, seq in SEQUENCES.items() for failing in [None, *range(len(seq))]]


class Hooks(dict[str, object]):
    """The producer's endpoint switch, recorded; it raises when the test makes that step fail."""

    def __init__(self, fail: bool) -> None:
        self.calls: list[str] = []
        super().__init__(
            {name: self._hook(name, fail) for name in ("repoint_producer_dr", "repoint_producer_primary")}
        )

    def _hook(self, name: str, fail: bool) -> object:
        def hook() -> None:
            self.calls.append(name)
            if fail and name == "repoint_producer_dr":
                raise ConnectionError("producer did not take the new endpoint")

        return hook


@pytest.mark.parametrize(
    ("scenario", "failing"), CASES, ids=[f"{s}-{'ok' if f is None else f'fail-at-{f}'}" for s, f in CASES]
)
def test_step_sequence_and_rollbacks(
    scenario: str, failing: int | None, outputs: AwsOutputs, tmp_path: Path
) -> None:
    sequence = SEQUENCES[scenario]
    plan = plan_for(scenario, outputs)
    assert [p.action.name for p in plan.actions] == sequence

    aws = StubbedAws()
    ran = sequence if failing is None else sequence[: failing + 1]
    for index, name in enumerate(ran):
        ACTIONS[name].do(aws, fail=index == failing)
    for index, name in reversed(list(enumerate(ran))):
        ACTIONS[name].undo(aws, index != failing)

    hooks = Hooks(fail=failing is not None and sequence[failing] == "producer_repointed_dr")
    state = RollbackState(tmp_path / "aws-rollback-drill1.json")
    state.begin("run1", scenario)
    executor = Executor(aws, state, hooks=hooks, poll_s=0.0)  # type: ignore[arg-type]
    run = run_plan(plan, executor)
    assert (run.error is None) == (failing is None), run.error
    if failing is not None:
        assert run.error is not None and run.error.startswith(sequence[failing])
    assert [p.action for p in state.pending()] == ran  # every rollback saved before its action ran

    records = run_rollbacks(run.rollbacks, lambda _: None)
    assert [r.action for r in records] == ran
    assert all(r.ok for r in records), [r.error for r in records if not r.ok]
    aws.assert_done()
    assert state.pending() == []
    if "producer_repointed_dr" in ran:
        assert hooks.calls == ["repoint_producer_dr", "repoint_producer_primary"]


def test_link_partition_is_refused_with_one_sentence(outputs: AwsOutputs) -> None:
    from drills.targets.aws.plans import RefusedOnAws

    with pytest.raises(
        RefusedOnAws,
        match=r"^link_partition is refused on the aws target: Aurora global "
        r"replication .*\.$",
    ):
        plan_for("link_partition", outputs)


def test_operator_stop_ends_the_actions_mid_wait_and_the_rollbacks_still_run(
    outputs: AwsOutputs, tmp_path: Path
) -> None:
    """SIGINT during the DB failover's wait: no later action runs, every earlier one is undone."""
    stop = threading.Event()
    aws = StubbedAws()
    sequence = SEQUENCES["region_outage"]
    for name in sequence[:3]:
        ACTIONS[name].do(aws)
    _db_arns(aws)
    aws.expect(
        "rds", "ca-west-1", "failover_global_cluster", {"GlobalCluster": {"GlobalClusterIdentifier": GLOBAL}}
    )
    for _ in range(2):
        aws.expect("rds", "ca-west-1", "describe_global_clusters", _global("ca-central-1", "failing-over"))
    ACTIONS["db_failover_to_dr"].undo(aws, True)
    for name in reversed(sequence[:3]):
        ACTIONS[name].undo(aws, True)
    state = RollbackState(tmp_path / "aws-rollback-drill1.json")
    state.begin("run-stop", "region_outage")
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        """The third poll of the drill is the failover's first: the operator presses Ctrl-C there."""
        polls.append(seconds)
        if len(polls) == 3:
            stop.set()  # as the CLI's signal handler does

    executor = Executor(aws, state, poll_s=0.0, stop=stop, sleep=sleep)

    run = run_plan(plan_for("region_outage", outputs), executor, stop=stop)

    assert run.error is not None and "stopped by the operator" in run.error
    assert run.error.startswith("db_failover_to_dr")
    records = run_rollbacks(run.rollbacks, lambda _: None)
    assert [r.action for r in records] == sequence[:4] and all(r.ok for r in records)
    aws.assert_done()
    assert state.pending() == []


def test_stop_before_the_first_action_changes_nothing(outputs: AwsOutputs, tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    aws = StubbedAws()  # nothing queued: any call would fail the test
    state = RollbackState(tmp_path / "aws-rollback-drill1.json")
    state.begin("run-stop0", "planned_switchover")
    run = run_plan(plan_for("planned_switchover", outputs), Executor(aws, state, stop=stop), stop=stop)
    assert run.error == "producer_repointed_dr: not started, stopped by the operator"
    assert run.rollbacks == [] and state.pending() == []
