"""What a scenario works with while it runs: the target, its config, the timeline and the rollbacks.

Every wait polls at ``probe_interval_s`` and checks the abort conditions, so no step can hang a drill:
a deadline, an operator stop (SIGINT/SIGTERM sets ``stop``), or a scenario-specific guard.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from drills.journal import Phase, TimelineEvent
from drills.scenarios.config import DrillConfig
from drills.scenarios.sampler import LagSampler
from drills.targets.base import Rollback, Target

Progress = Callable[[str], None]


class DrillAborted(RuntimeError):
    """An abort condition held; rollbacks still run and the journal says why (status aborted)."""


class PreconditionFailed(RuntimeError):
    """The target is not fit for a drill; nothing was touched."""


@dataclass
class DrillContext:
    target: Target
    config: DrillConfig
    progress: Progress
    stop: threading.Event = field(default_factory=threading.Event)
    timeline: list[TimelineEvent] = field(default_factory=list)
    rollbacks: list[Rollback] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    deadline: float = float("inf")
    sampler: LagSampler | None = None
    fault_started: float | None = None
    fault_duration_s: float = 0.0
    applied_topology: dict[str, object] = field(default_factory=dict)
    on_mark: Callable[[], None] | None = None

    @property
    def primary(self) -> str:
        return self.target.info().primary_region

    @property
    def dr(self) -> str:
        return self.target.info().dr_region

    def mark(self, phase: Phase, detail: str = "", at: float | None = None) -> float:
        """Record that ``phase`` was reached now (or at ``at``); returns the instant."""
        t = time.time() if at is None else at
        self.timeline.append(TimelineEvent(phase=phase, t=t, detail=detail))
        self.progress(f"{phase.value}" + (f": {detail}" if detail else ""))
        if self.on_mark is not None:
            self.on_mark()
        return t

    def act(self, action: Callable[[], Rollback]) -> Rollback:
        """Run an action and remember its rollback (pushed even if later steps fail)."""
        rollback = action()
        self.rollbacks.append(rollback)
        return rollback

    def inject(self, action: Callable[[], Rollback], detail: str) -> float:
        """Run the fault action; t0 (returned) is the instant it STARTED, its duration is recorded.

        A fault action takes a moment (killing a region's processes one by one); taking t0 at its
        start means nothing the dying side did during the action counts as "before the fault". The
        local target freezes the whole region first, so it stops acknowledging as the action starts.
        """
        started = self.fault_started = time.time()
        self.act(action)
        self.fault_duration_s = time.time() - started
        t0 = self.mark(Phase.FAULT_INJECTED, detail, at=started)
        self.notes.append(f"t0 is the start of the fault action; it took {self.fault_duration_s:.3f} s")
        return t0

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.progress(text)

    def check_abort(self) -> None:
        if self.stop.is_set():
            raise DrillAborted("stopped by the operator")
        if time.time() > self.deadline:
            raise DrillAborted("drill exceeded its time budget (recovery_timeout_s after the load)")

    def sleep(self, seconds: float) -> None:
        """Sleep, still honouring abort conditions."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.check_abort()
            self.stop.wait(min(left, self.config.probe_interval_s))

    def wait_until(self, what: str, predicate: Callable[[], bool], timeout_s: float) -> float:
        """Poll ``predicate`` until true; the instant it became true. Aborts after ``timeout_s``."""
        end = time.monotonic() + timeout_s
        while True:
            self.check_abort()
            if predicate():
                return time.time()
            if time.monotonic() > end:
                raise DrillAborted(f"{what} not reached within {timeout_s:.0f} s")
            self.stop.wait(self.config.probe_interval_s)
