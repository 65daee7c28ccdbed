"""The target interface (DESIGN §4): what a drill may read from, and do to, a deployment.

Probes read and never change anything; actions change the target and return the ``Rollback`` that
undoes them, so the runner can always restore what it broke (in reverse order, even on abort).
Scenarios are written against this interface only: ``local`` drives the sandbox, ``aws`` (a later
issue) will drive the deployed stacks through boto3 with the same calls.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from drills.journal import IntegrityResult, TargetInfo
from drills.measure.loss import LedgerRow

__all__ = ["LedgerRow"]  # re-exported: targets return it, measure consumes it


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
class SurvivorState:
    """What loss is measured on: ``event_key -> digest`` and the checksum diff of the same rows."""

    digests: dict[int, int]
    checksum: IntegrityResult | None


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


class Target(ABC):
    """One deployment a drill runs against. Regions are named as in ``info()``."""

    # ---- probes ---------------------------------------------------------------------------------
    @abstractmethod
    def info(self) -> TargetInfo:
        """Kind, environment and the two region names."""

    @abstractmethod
    def health(self) -> Health:
        """Every component the drill relies on; the runner refuses to start unless all are ok."""

    @abstractmethod
    def replication_streaming(self) -> bool:
        """True when the DR database is attached and receiving the primary's changes."""

    @abstractmethod
    def writer_alive(self, region: str) -> bool:
        """One fast health probe of the database writer in ``region`` (the detector polls this)."""

    @abstractmethod
    def replication_lag_s(self) -> float | None:
        """DB replication lag as the DR side sees it (AuroraGlobalDBRPOLag analogue); None if unreadable."""

    @abstractmethod
    def consumer_lag_s(self, region: str) -> float | None:
        """Age of the newest processed event behind the newest acknowledged one (IteratorAge analogue)."""

    @abstractmethod
    def processor_alive(self, region: str) -> bool:
        """True when the stream processor of ``region`` is running."""

    @abstractmethod
    def load_stats(self) -> LoadStats:
        """Counters of the running load (zeros when none runs)."""

    @abstractmethod
    def ledger_rows(self) -> list[LedgerRow]:
        """Every ledger entry so far: the ground truth of what was sent and acknowledged."""

    @abstractmethod
    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        """Keys of the rows most recently written to ``region``'s store after epoch ``since``.

        The RTO probe intersects them with the ledger: looking from the store side finds the first
        post-t0 acknowledged event that became readable, whereas a ledger-side pick could wait on
        events the dying region acknowledged in its last instant (lost) or on a growing backlog."""

    @abstractmethod
    def ack_times(self, keys: Iterable[int]) -> dict[int, float | None]:
        """Ledger ``t_ack`` of each key (None: sent, never acknowledged)."""

    @abstractmethod
    def store_count(self, region: str) -> int | None:
        """Rows in the store of ``region``; None when the store cannot be reached."""

    @abstractmethod
    def store_dsn(self, region: str) -> str:
        """libpq connection string of ``region``'s store, for read-only validation after a drill.

        It may carry a credential: callers hand it to a database client and never print it."""

    @abstractmethod
    def store_digests(self, region: str) -> dict[int, int]:
        """``event_key -> payload_digest`` of every row in the store of ``region``."""

    @abstractmethod
    def survivor_state(self, region: str) -> SurvivorState:
        """The store's keys/digests and the bucketed checksum diff of the acknowledged ledger against
        it (DESIGN §5; ``checksum`` None when this target cannot run one), taken on ONE state of
        ``region``'s store when the target can: loss figures and their proof must describe the same
        rows. The runner measures again while the two disagree."""

    @abstractmethod
    def stream_backlog(self, region: str) -> int | None:
        """Records in ``region``'s stream after the position its processor has COMMITTED (the
        checkpoint stored with the rows), at least 1 when any; None when unreadable. 0 after the
        producer stopped = every record of that stream is in the store (the backlog drained)."""

    def topology(self) -> TopologySpec | None:
        """The topology actually in effect (read back from the engines), or None if not readable."""
        return None

    @abstractmethod
    def cache_replication_offsets(self) -> tuple[int, int] | None:
        """(primary offset, replica offset) of the session cache replication; None if unreadable."""

    @abstractmethod
    def session_present(self, keys: Iterable[str]) -> set[str]:
        """Which session keys the current cache writer holds."""

    # ---- actions (each returns its rollback) ----------------------------------------------------
    @abstractmethod
    def configure(self, topology: TopologySpec) -> Rollback:
        """Set replication mode and inter-region link latency for the drill."""

    @abstractmethod
    def start_load(self, load: LoadSpec) -> Rollback:
        """Start the device simulator against the current routing."""

    @abstractmethod
    def stop_load(self) -> None:
        """Stop the device simulator and wait until its ledger is complete."""

    @abstractmethod
    def kill_region(self, region: str) -> Rollback:
        """The whole region dies at once: writer killed, link cut, stream endpoint and processor gone."""

    @abstractmethod
    def cut_link(self) -> Rollback:
        """Partition the inter-region link (replication stops; a sync primary stops committing)."""

    @abstractmethod
    def stop_processor(self, region: str, graceful: bool) -> Rollback:
        """Stop the processor of ``region`` (graceful: finish the batch; else kill -9 mid-batch)."""

    def pause_processor(self, region: str) -> Rollback:
        """Freeze the processor of ``region`` (it neither reads nor commits) until the rollback."""
        raise NotImplementedError(f"{type(self).__name__} cannot pause a processor")

    @abstractmethod
    def start_processor(self, region: str) -> Rollback:
        """Start (or restart, like ECS replacing a task) the processor of ``region``."""

    @abstractmethod
    def wait_replication_caught_up(self, timeout_s: float) -> bool:
        """Wait until the DR side has replayed everything the primary committed (switchover)."""

    @abstractmethod
    def promote_writer(self, region: str) -> Rollback:
        """Make the database in ``region`` the writer (global DB failover/switchover)."""

    @abstractmethod
    def repoint(self, region: str) -> Rollback:
        """Send producer and processing to ``region`` (the DNS/endpoint switch)."""

    @abstractmethod
    def write_session(self, key: str) -> SessionWrite:
        """Write one synthetic session to the current cache writer."""

    @abstractmethod
    def kill_cache_primary(self) -> Rollback:
        """The session cache primary dies."""

    @abstractmethod
    def promote_cache_replica(self) -> Rollback:
        """Make the cache replica the writer (global datastore failover)."""

    def lock_dir(self) -> Path | None:
        """Where this target's drill lock lives (one drill at a time per target); None: the reports dir."""
        return None

    def restore(self, topology: TopologySpec | None) -> None:
        """Rebuild ``topology`` (recorded before an interrupted drill); without one, as ``reset``."""
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """Restore the original topology, whatever state a drill left it in (``drill recover``)."""
