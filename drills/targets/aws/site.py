"""The deployed stacks as a ``Target``: who they are, whether they are in their steady state, and how
to restore them (the rollbacks left in the rollback state file).

``health`` is the steady state of ``steady_state`` (read before the fault and after the rollbacks);
``reset`` runs what an interrupted drill left in the rollback state file, newest first (``htdr drill
recover --target aws``); it needs no data plane, so a killed drill is recovered with this alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from contracts.journal import TargetInfo
from contracts.outputs import Side
from drills.targets.aws.executor import ClientFactory, Executor
from drills.targets.aws.outputs import AWS_KIND, AwsOutputs
from drills.targets.aws.recover import Recovered, recover
from drills.targets.aws.rollback_state import RollbackState
from drills.targets.aws.steady_state import steady_state
from drills.targets.values import ComponentHealth, Health


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
    except OSError:
        return True


class AwsSite:
    """``Target`` of the deployment named by ``outputs``; its actions run through ``executor``."""

    def __init__(self, outputs: AwsOutputs, clients: ClientFactory, state: RollbackState, executor: Executor,
                 progress: Callable[[str], None] = lambda _: None,
                 alive: Callable[[int], bool] = pid_alive) -> None:
        self.outputs, self.clients, self.state = outputs, clients, state
        self._executor, self._progress, self._alive = executor, progress, alive
        #: What the last ``reset`` ran, for the operator's printout.
        self.recovered: list[Recovered] = []

    def info(self) -> TargetInfo:
        o = self.outputs
        return TargetInfo(kind=AWS_KIND, environment=o.suffix, primary_region=o.region(Side.PRIMARY),
                          dr_region=o.region(Side.DR))

    def health(self) -> Health:
        return Health(tuple(ComponentHealth(c.name, c.ok, c.detail)
                            for c in steady_state(self.outputs, self.clients)))

    def reset(self) -> None:
        """Run the rollback state file's pending rollbacks; raises when one failed (it stays pending)."""
        self.recovered = recover(self.state, self._executor, self._alive, self._progress)
        failed = [r for r in self.recovered if r.error is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} rollback(s) failed and stay in {self.state.path}: "
                               + "; ".join(f"{r.undo}: {r.error}" for r in failed))
