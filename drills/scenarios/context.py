"""What a scenario works with while it runs: the target, its config, the timeline and the rollbacks.

Every wait polls at ``probe_interval_s`` and checks the abort conditions, so no step can hang a drill:
a deadline, an operator stop (SIGINT/SIGTERM sets ``stop``), or a scenario-specific guard.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from contracts.journal import Phase, TimelineEvent
from drills.clock import SYSTEM_CLOCK, Clock
from drills.scenarios.config import DrillConfig
from drills.scenarios.sampler import LagSampler
from drills.targets.roles import (
    DatabaseReplication,
    EventStore,
    LoadAndLedger,
    PipelineProcessors,
    RegionFault,
    SessionCache,
    Target,
    missing_roles,
)
from drills.targets.values import ActionFailed, Rollback

Progress = Callable[[str], None]
R = TypeVar("R")


class DrillAborted(RuntimeError):
    """An abort condition held; rollbacks still run and the journal says why (status aborted)."""


class PreconditionFailed(RuntimeError):
    """The target is not fit for a drill; nothing was touched."""


class MissingCapability(PreconditionFailed):
    """The scenario needs a role the target does not implement; nothing was touched."""


class _RoleView(Generic[R]):
    """``ctx.<role>``: the target as that role, or ``MissingCapability`` naming what it lacks."""

    def __init__(self, role: type) -> None:
        self._role = role

    def __get__(self, ctx: DrillContext, owner: type | None = None) -> R:
        missing = missing_roles(ctx.target, [self._role])
        if missing:
            raise MissingCapability(f"the {ctx.target.info().kind} target lacks the {missing[0]} capability")
        return cast(R, ctx.target)


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
    clock: Clock = SYSTEM_CLOCK

    # ---- the target by role (the runner checked the scenario's roles before it started) ------------
    load = _RoleView[LoadAndLedger](LoadAndLedger)
    store = _RoleView[EventStore](EventStore)
    replication = _RoleView[DatabaseReplication](DatabaseReplication)
    faults = _RoleView[RegionFault](RegionFault)
    processors = _RoleView[PipelineProcessors](PipelineProcessors)
    cache = _RoleView[SessionCache](SessionCache)

    @property
    def primary(self) -> str:
        return self.target.info().primary_region

    @property
    def dr(self) -> str:
        return self.target.info().dr_region

    def mark(self, phase: Phase, detail: str = "", at: float | None = None) -> float:
        """Record that ``phase`` was reached now (or at ``at``); returns the instant."""
        t = self.clock.time() if at is None else at
        self.timeline.append(TimelineEvent(phase=phase, t=t, detail=detail))
        self.progress(f"{phase.value}" + (f": {detail}" if detail else ""))
        if self.on_mark is not None:
            self.on_mark()
        return t

    def act(self, action: Callable[[], Rollback]) -> Rollback:
        """Run an action and remember its rollback (pushed even if later steps fail, and pushed when
        the action itself fails part-way and hands back the rollback of what it changed)."""
        try:
            rollback = action()
        except ActionFailed as err:
            if err.rollback is not None:
                self.rollbacks.append(err.rollback)
            raise
        self.rollbacks.append(rollback)
        return rollback

    def inject(self, action: Callable[[], Rollback], detail: str) -> float:
        """Run the fault action; t0 (returned) is the instant it STARTED, its duration is recorded.

        A fault action takes a moment (killing a region's processes one by one); taking t0 at its
        start means nothing the dying side did during the action counts as "before the fault". The
        local target freezes the whole region first, so it stops acknowledging as the action starts.
        """
        started = self.fault_started = self.clock.time()
        self.act(action)
        self.fault_duration_s = self.clock.time() - started
        t0 = self.mark(Phase.FAULT_INJECTED, detail, at=started)
        self.notes.append(f"t0 is the start of the fault action; it took {self.fault_duration_s:.3f} s")
        return t0

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.progress(text)

    def check_abort(self) -> None:
        if self.stop.is_set():
            raise DrillAborted("stopped by the operator")
        if self.clock.time() > self.deadline:
            raise DrillAborted("drill exceeded its time budget (recovery_timeout_s after the load)")

    def sleep(self, seconds: float) -> None:
        """Sleep, still honouring abort conditions."""
        end = self.clock.monotonic() + seconds
        while (left := end - self.clock.monotonic()) > 0:
            self.check_abort()
            self.clock.wait(self.stop, min(left, self.config.probe_interval_s))

    def wait_until(self, what: str, predicate: Callable[[], bool], timeout_s: float) -> float:
        """Poll ``predicate`` until true; the instant it became true. Aborts after ``timeout_s``."""
        end = self.clock.monotonic() + timeout_s
        while True:
            self.check_abort()
            if predicate():
                return self.clock.time()
            if self.clock.monotonic() > end:
                raise DrillAborted(f"{what} not reached within {timeout_s:.0f} s")
            self.clock.wait(self.stop, self.config.probe_interval_s)
