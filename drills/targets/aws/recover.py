"""``htdr drill recover --target aws``: run the rollbacks a killed drill left in the state file."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from drills.targets.aws.executor import Executor
from drills.targets.aws.rollback_state import RollbackState


@dataclass(frozen=True)
class Recovered:
    action: str
    undo: str
    error: str | None = None


class DrillStillRunning(ValueError):
    """The drill that wrote the state file is alive: it will run its own rollbacks."""


def recover(
    state: RollbackState,
    executor: Executor,
    alive: Callable[[int], bool],
    progress: Callable[[str], None] = lambda _: None,
) -> list[Recovered]:
    """Newest first; a failing rollback stays in the file (run recover again) and the others still run."""
    owner = state.owner()
    pid = int(owner.get("pid", 0) or 0)
    if pid and pid != os.getpid() and alive(pid):
        raise DrillStillRunning(
            f"aws drill {owner.get('run_id')} is still running (pid {pid}): stop it "
            "(SIGINT runs its rollbacks) before recovering"
        )
    done = []
    for pending in reversed(state.pending()):
        progress(f"rollback: {pending.undo}")
        try:
            executor.undo(pending)
            done.append(Recovered(pending.action, pending.undo))
        except Exception as err:
            done.append(Recovered(pending.action, pending.undo, f"{type(err).__name__}: {str(err)[:250]}"))
    if not state.pending():
        state.clear()
    return done
