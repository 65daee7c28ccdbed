"""Target roles (DESIGN §4): what a scenario may read from, and do to, a deployment, by capability.

A target implements the roles it can; each scenario declares the roles it needs, and the runner
refuses a scenario whose target lacks one before anything starts. Probes read and never change
anything; actions change the target and return the ``Rollback`` that undoes them, so the runner can
always restore what it broke (in reverse order, even on abort). Regions are named as in ``info()``.

Every target is a ``Target`` (who it is, whether it is healthy, how to restore it); the roles are:
- ``LoadAndLedger``: the device simulator and its ledger (the ground truth of what was acknowledged);
- ``EventStore``: each region's event store, read through ``snapshot(region)``: the runner runs the
  key comparison, the checksum diff and the store validation on it, never the target;
- ``DatabaseReplication``: the cross-region database (topology, lag, promotion, partition);
- ``RegionFault``: a whole region dies at once;
- ``PipelineProcessors``: the stream processors and their backlog;
- ``SessionCache``: the replicated session cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

from contracts.journal import TargetInfo
from drills.integrity.source import Source
from drills.targets.values import Health, LoadSpec, LoadStats, Rollback, SessionWrite, TopologySpec


@runtime_checkable
class Target(Protocol):
    """What every target provides."""

    def info(self) -> TargetInfo:
        """Kind, environment and the two region names."""
        ...

    def health(self) -> Health:
        """Every component the drill relies on: checked before the fault and after the rollbacks."""
        ...

    def reset(self) -> None:
        """Restore the original topology, whatever state a drill left it in (``drill recover``)."""
        ...


@runtime_checkable
class LoadAndLedger(Protocol):
    """The device simulator: it sends events and records each one, and its acknowledgement, in a ledger."""

    def start_load(self, load: LoadSpec) -> Rollback:
        """Start the device simulator against the current routing."""
        ...

    def stop_load(self) -> None:
        """Stop the device simulator and wait until its ledger is complete."""
        ...

    def load_stats(self) -> LoadStats:
        """Counters of the running load (zeros when none runs)."""
        ...

    def ledger_path(self) -> Path | None:
        """The producer's SQLite ledger of this drill (``contracts.events``' rows); None before any load."""
        ...

    def repoint(self, region: str) -> Rollback:
        """Send the producer (and the processing it feeds) to ``region``: the DNS/endpoint switch."""
        ...


@runtime_checkable
class EventStore(Protocol):
    """Each region's event store (``contracts.store``)."""

    def store_count(self, region: str) -> int | None:
        """Rows in the store of ``region``; None when the store cannot be reached."""
        ...

    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        """Keys of the rows most recently written to ``region``'s store after epoch ``since``.

        The RTO probe intersects them with the ledger: looking from the store side finds the first
        post-t0 acknowledged event that became readable, whereas a ledger-side pick could wait on
        events the dying region acknowledged in its last instant (lost) or on a growing backlog."""
        ...

    def snapshot(self, region: str) -> AbstractContextManager[Source]:
        """A read-only diff source over ONE consistent state of ``region``'s store, for as long as the
        context lasts: the key comparison and the checksum diff read the same rows."""
        ...

    def store_dsn(self, region: str) -> str:
        """libpq connection string of ``region``'s store, for read-only validation after a drill.

        It may carry a credential: callers hand it to a database client and never print it."""
        ...


@runtime_checkable
class DatabaseReplication(Protocol):
    """The cross-region database: its topology, its lag, its writer."""

    def configure(self, topology: TopologySpec) -> Rollback:
        """Set replication mode and inter-region link latency for the drill."""
        ...

    def replication_streaming(self) -> bool:
        """True when the DR database is attached and receiving the primary's changes."""
        ...

    def writer_alive(self, region: str) -> bool:
        """One fast health probe of the database writer in ``region`` (the detector polls this)."""
        ...

    def replication_lag_s(self) -> float | None:
        """DB replication lag as the DR side sees it (AuroraGlobalDBRPOLag analogue); None if unreadable."""
        ...

    def wait_replication_caught_up(self, timeout_s: float) -> bool:
        """Wait until the DR side has replayed everything the primary committed (switchover)."""
        ...

    def promote_writer(self, region: str) -> Rollback:
        """Make the database in ``region`` the writer (global DB failover/switchover)."""
        ...

    def cut_link(self) -> Rollback:
        """Partition the inter-region link (replication stops; a sync primary stops committing)."""
        ...


@runtime_checkable
class RegionFault(Protocol):
    """A whole region can be taken down at once."""

    def kill_region(self, region: str) -> Rollback:
        """The whole region dies at once: writer killed, link cut, stream endpoint and processor gone."""
        ...


@runtime_checkable
class PipelineProcessors(Protocol):
    """The stream processors of each region and what they have not consumed yet."""

    def processor_alive(self, region: str) -> bool:
        """True when the stream processor of ``region`` is running."""
        ...

    def consumer_lag_s(self, region: str) -> float | None:
        """Age of the newest processed event behind the newest acknowledged one (IteratorAge analogue)."""
        ...

    def stream_backlog(self, region: str) -> int | None:
        """Records in ``region``'s stream after the position its processor has COMMITTED (the
        checkpoint stored with the rows), at least 1 when any; None when unreadable. 0 after the
        producer stopped = every record of that stream is in the store (the backlog drained)."""
        ...

    def stop_processor(self, region: str, graceful: bool) -> Rollback:
        """Stop the processor of ``region`` (graceful: finish the batch; else kill -9 mid-batch)."""
        ...

    def start_processor(self, region: str) -> Rollback:
        """Start (or restart, like ECS replacing a task) the processor of ``region``."""
        ...


@runtime_checkable
class SessionCache(Protocol):
    """The replicated session cache (ElastiCache global datastore analogue)."""

    def cache_replication_offsets(self) -> tuple[int, int] | None:
        """(primary offset, replica offset) of the session cache replication; None if unreadable."""
        ...

    def write_session(self, key: str) -> SessionWrite:
        """Write one synthetic session to the current cache writer."""
        ...

    def session_present(self, keys: Iterable[str]) -> set[str]:
        """Which session keys the current cache writer holds."""
        ...

    def kill_cache_primary(self) -> Rollback:
        """The session cache primary dies."""
        ...

    def promote_cache_replica(self) -> Rollback:
        """Make the cache replica the writer (global datastore failover)."""
        ...


@runtime_checkable
class TopologyReadBack(Protocol):
    """Optional: the topology actually in effect, read back from the engines (the journal records it)."""

    def topology(self) -> TopologySpec | None:
        """Replication mode and link latency in effect; None when not readable."""
        ...


@runtime_checkable
class ProcessorPause(Protocol):
    """Optional: freeze a processor, for a set exposure before a kill (``drills.scenarios.exposure``)."""

    def pause_processor(self, region: str) -> Rollback:
        """Freeze the processor of ``region`` (it neither reads nor commits) until the rollback."""
        ...


@runtime_checkable
class DrillSite(Protocol):
    """Optional: where the target keeps its one-drill-at-a-time lock, and a restore to a recorded
    topology (``recover`` after a killed drill). Without it: the reports dir, and ``reset``."""

    def lock_dir(self) -> Path | None:
        """Directory of the target's drill lock."""
        ...

    def restore(self, topology: TopologySpec | None) -> None:
        """Rebuild ``topology`` (recorded before an interrupted drill); without one, as ``reset``."""
        ...


@runtime_checkable
class FixedParameters(Protocol):
    """Optional: drill parameters the target cannot apply (the journal records them as None, and why)."""

    def fixed_parameters(self) -> dict[str, str]:
        """Parameter name -> why this target does not apply it (one sentence)."""
        ...


#: How a missing role is named in a refusal.
CAPABILITY: dict[type, str] = {
    LoadAndLedger: "load and ledger",
    EventStore: "event store",
    DatabaseReplication: "database replication",
    RegionFault: "region fault",
    PipelineProcessors: "pipeline processors",
    SessionCache: "session cache",
}


def missing_roles(target: object, needed: Iterable[type]) -> list[str]:
    """Capabilities in ``needed`` that ``target`` does not implement, by name."""
    return [CAPABILITY.get(role, role.__name__) for role in needed if not isinstance(target, role)]
