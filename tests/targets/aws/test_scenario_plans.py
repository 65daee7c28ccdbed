"""Each scenario's AWS step sequence driven through botocore Stubber: success, and a failure at each
step; every rollback runs (newest first), every stubbed call is consumed, the state file ends empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from drills.drill_runner import run_rollbacks
from drills.targets.aws.executor import Executor
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.plan_runner import run_plan
from drills.targets.aws.plans import plan_for
from drills.targets.aws.rollback_state import RollbackState
from tests.targets.aws.aws_world import ACTIONS, SEQUENCES
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
