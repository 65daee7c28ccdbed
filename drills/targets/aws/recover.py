"""``htdr drill recover --target aws``: run the rollbacks a killed drill left in the state file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drills.targets.aws.executor import Executor
from drills.targets.aws.rollback_state import RollbackState


@dataclass(frozen=True)
class Recovered:
    action: str
    undo: str
    error: str | None = None


def recover(
    state: RollbackState, executor: Executor, progress: Callable[[str], None] = lambda _: None
) -> list[Recovered]:
    """Newest first; a failing rollback stays in the file (run recover again) and the others still run."""
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
