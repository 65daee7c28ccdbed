"""The values a drill exchanges with a target's roles (``drills.targets.roles``): rollbacks, health,
what load and topology to set up, what the load and the session cache report back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class ReplicationMode(StrEnum):
    """``sync``: a commit waits for the DR side (RPO 0, pays the link round trip); ``async``: it does not."""

    SYNC = "sync"
    ASYNC = "async"


class IngestMode(StrEnum):
    """``single``: the producer writes to the primary region's API only (Aurora-global-like default);
    ``dual``: it writes to both regions' APIs, and an event counts as acknowledged only when both did."""

    SINGLE = "single"
    DUAL = "dual"


@dataclass(frozen=True)
class Rollback:
    """How to undo one action. ``undo`` must be safe to call after a partial failure of the action.

    Rollbacks sharing a ``key`` undo the same thing (e.g. the local target's ``reset``): the runner
    runs the newest one and records the older ones as covered by it.
    """

    action: str
    description: str
    undo: Callable[[], None]
    key: str | None = None


class ActionFailed(RuntimeError):
    """An action failed after it may have changed something. ``rollback`` undoes whatever it changed
    (it is safe after a partial change); the runner records and runs it with the other rollbacks."""

    def __init__(self, message: str, rollback: Rollback | None = None) -> None:
        super().__init__(message)
        self.rollback = rollback


@dataclass(frozen=True)
class ComponentHealth:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Health:
    components: tuple[ComponentHealth, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)

    def failures(self) -> list[str]:
        """One line per unhealthy component, for a refusal message."""
        return [f"{c.name}: {c.detail or 'unhealthy'}" for c in self.components if not c.ok]


@dataclass(frozen=True)
class LoadSpec:
    """What the device simulator sends during a drill."""

    rate_per_min: int
    duration_s: float
    ingest: IngestMode
    devices: int = 2000
    #: Continue the ledger of the previous load (same events, next sequence numbers) instead of a new one.
    resume: bool = False


@dataclass(frozen=True)
class TopologySpec:
    """How the two regions are wired for a drill."""

    replication_mode: ReplicationMode
    link_latency_ms: float


@dataclass(frozen=True)
class SessionWrite:
    """One cache session write made by a drill; ``t_ack`` None when the write was not acknowledged."""

    key: str
    t_ack: float | None


@dataclass
class LoadStats:
    """What the load generator reports while it runs (read by the runner for progress)."""

    sent: int = 0
    acknowledged: int = 0
    errors: int = 0
    extra: dict[str, float] = field(default_factory=dict)
