"""Runs an AWS plan action by action, marking the timeline, and always hands back every rollback.

The runner of ``drills.runner`` runs the rollbacks (newest first, each recorded in the journal); an
action that fails still contributes its own (already saved) rollback, since every rollback is safe
after a partial change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts.journal import TimelineEvent
from drills.targets.aws.executor import ActionFailed, Executor
from drills.targets.aws.plans import AwsPlan
from drills.targets.values import Rollback


@dataclass
class PlanRun:
    rollbacks: list[Rollback] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    error: str | None = None


def run_plan(
    plan: AwsPlan,
    executor: Executor,
    progress: Callable[[str], None] = lambda _: None,
    stop: threading.Event | None = None,
) -> PlanRun:
    """Perform each action in order; stop at the first failure or the operator's stop (``error`` says
    which action did not run, or failed)."""
    run = PlanRun()
    for planned in plan.actions:
        if stop is not None and stop.is_set():
            run.error = f"{planned.action.name}: not started, stopped by the operator"
            progress(f"aws drill stopped: {run.error}")
            return run
        try:
            run.rollbacks.append(executor.perform(planned.action))
        except ActionFailed as err:
            if err.rollback is not None:
                run.rollbacks.append(err.rollback)
            run.error = str(err)[:300]
            progress(f"aws action failed: {run.error}")
            return run
        except Exception as err:  # a read failed before anything changed: nothing to undo
            run.error = f"{planned.action.name}: {type(err).__name__}: {str(err)[:250]}"
            progress(f"aws action failed: {run.error}")
            return run
        if planned.marks is not None:
            run.timeline.append(
                TimelineEvent(phase=planned.marks, t=time.time(), detail=planned.action.description)
            )
    return run
