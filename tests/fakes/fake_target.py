"""An in-memory target with every role, driven by a manual clock: the runner and every scenario run on
it in milliseconds, without engines, and always take the same path.

The world it models, one tick every ``TICK_S``:
- the load sends ``batch`` events a tick to the regions it is routed to; an event is acknowledged
  when every region it was sent to is up (it then sits in that region's stream); the producer's
  ledger is a real SQLite file with the project's ledger schema;
- a region's processor moves its stream into its region's store when that region holds the writer;
- the writer's store replicates to the other region while the link is up (``sync``: at once;
  ``async``: one tick late);
- the session cache writes to its writer and replicates to the replica at once.
Actions are logged in ``calls`` (name and region), so a test can assert the order of the steps;
``fail_on`` makes an action raise, ``on_call`` runs a hook before it (e.g. an operator stop).
Health is ok exactly when the world is back to the topology it started with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from contracts.journal import TargetInfo
from drills.targets.values import (
    ComponentHealth,
    Health,
    IngestMode,
    LoadSpec,
    ReplicationMode,
    Rollback,
    SessionWrite,
    TopologySpec,
)
from tests.fakes.fake_producer import FakeProducer, ProducerLoad
from tests.fakes.manual_clock import ManualClock
from tests.fakes.memory_source import MemorySource

PRIMARY, DR = "fake-east", "fake-west"
TICK_S = 0.05
RESET = "reset"


@dataclass
class World:
    """Everything that can change; ``World()`` is the healthy starting topology."""

    regions_up: dict[str, bool] = field(default_factory=lambda: {PRIMARY: True, DR: True})
    processors: dict[str, bool] = field(default_factory=lambda: {PRIMARY: True, DR: True})
    writer: str = PRIMARY
    link_up: bool = True
    mode: ReplicationMode = ReplicationMode.ASYNC
    latency_ms: float = 0.0
    cache_up: dict[str, bool] = field(default_factory=lambda: {PRIMARY: True, DR: True})
    cache_writer: str = PRIMARY

    def topology(self) -> tuple[object, ...]:
        return (self.regions_up, self.processors, self.writer, self.link_up, self.mode, self.latency_ms,
                self.cache_up, self.cache_writer)


class FakeTarget(ProducerLoad):
    def __init__(self, clock: ManualClock, work_dir: Path, batch: int = 5,
                 fail_on: Iterable[str] = (), on_call: Callable[[str], None] | None = None) -> None:
        self.clock, self.work_dir, self.batch = clock, work_dir, batch
        self.fail_on, self.on_call = set(fail_on), on_call
        self.calls: list[str] = []
        self.world = World()
        self.unhealthy: set[str] = set()
        self._fresh_data()
        clock.every(TICK_S, self._tick, "fake-world")

    def _fresh_data(self) -> None:
        self.stores: dict[str, dict[int, int]] = {PRIMARY: {}, DR: {}}
        self.ingested: dict[str, dict[int, float]] = {PRIMARY: {}, DR: {}}
        self.streams: dict[str, list[tuple[int, int]]] = {PRIMARY: [], DR: []}
        self.consumed: dict[str, int] = {PRIMARY: 0, DR: 0}
        self.pending_replication: list[tuple[int, int]] = []
        self.sessions: dict[str, set[str]] = {PRIMARY: set(), DR: set()}
        self.routing: list[str] = [PRIMARY]
        self.producer = FakeProducer()

    def _act(self, name: str) -> None:
        self.calls.append(name)
        if self.on_call:
            self.on_call(name)
        if name.split(" ")[0] in self.fail_on:
            raise RuntimeError(f"injected failure of {name}")

    # ---- the world ------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.producer.loading:
            self._send()
        self._replicate()  # what the writer committed on the previous tick (async lags one tick)
        for region in (PRIMARY, DR):
            if self._processing(region):
                self._consume(region)

    def _send(self) -> None:
        up = all(self.world.regions_up[r] for r in self.routing)
        for key, digest in self.producer.send(self.batch, self.routing[0], self.clock.time(), up):
            for region in self.routing:
                if self.world.regions_up[region]:
                    self.streams[region].append((key, digest))

    def _processing(self, region: str) -> bool:
        w = self.world
        return w.regions_up[region] and w.processors[region] and w.writer == region

    def _consume(self, region: str) -> None:
        now = self.clock.time()
        for key, digest in self.streams[region][self.consumed[region]:]:
            self.stores[region][key] = digest
            self.ingested[region][key] = now
            self.pending_replication.append((key, digest))
        self.consumed[region] = len(self.streams[region])
        if self.world.mode is ReplicationMode.SYNC:
            self._replicate()

    def _replicate(self) -> None:
        w = self.world
        other = DR if w.writer == PRIMARY else PRIMARY
        if w.writer == PRIMARY and w.link_up and all(w.regions_up.values()):
            for key, digest in self.pending_replication:
                self.stores[other][key] = digest
                self.ingested[other][key] = self.clock.time()
            self.pending_replication = []

    # ---- Target ---------------------------------------------------------------------------------
    def info(self) -> TargetInfo:
        return TargetInfo(kind="fake", environment="test", primary_region=PRIMARY, dr_region=DR)

    def health(self) -> Health:
        changed = self.world.topology() != World().topology()
        return Health((
            ComponentHealth("topology", not changed, "as started" if not changed else "changed by a drill"),
            *(ComponentHealth(name, False, "made unhealthy by the test") for name in sorted(self.unhealthy)),
        ))

    def reset(self) -> None:
        self.calls.append(RESET)
        self.world = World()
        self._fresh_data()

    # ---- LoadAndLedger --------------------------------------------------------------------------
    def start_load(self, load: LoadSpec) -> Rollback:
        self._act("start_load")
        self.producer.start(self.work_dir / f"ledger-{len(self.calls)}.sqlite")
        self.routing = [PRIMARY] if load.ingest is IngestMode.SINGLE else [PRIMARY, DR]
        return Rollback("start_load", "stop the load", self.stop_load)

    def repoint(self, region: str) -> Rollback:
        self._act(f"repoint {region}")
        self.routing = [region]
        return Rollback(f"repoint {region}", "reset()", self.reset, key=RESET)

    # ---- EventStore -----------------------------------------------------------------------------
    def store_count(self, region: str) -> int | None:
        return len(self.stores[region]) if self.world.regions_up[region] else None

    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        if not self.world.regions_up[region]:
            raise ConnectionError(f"{region} is down")
        newest = sorted(((t, k) for k, t in self.ingested[region].items() if t > since), reverse=True)
        return [k for _, k in newest[:limit]]

    @contextmanager
    def snapshot(self, region: str) -> Iterator[MemorySource]:
        if not self.world.regions_up[region]:
            raise ConnectionError(f"{region} is down")
        yield MemorySource(self.stores[region], name=f"store {region}")

    def store_dsn(self, region: str) -> str:
        return f"host=fake-{region} dbname=vitals"

    # ---- DatabaseReplication --------------------------------------------------------------------
    def configure(self, topology: TopologySpec) -> Rollback:
        self._act("configure")
        before = (self.world.mode, self.world.latency_ms)
        self.world.mode, self.world.latency_ms = topology.replication_mode, topology.link_latency_ms

        def undo() -> None:
            self.world.mode, self.world.latency_ms = before

        return Rollback("configure", "topology as before", undo)

    def replication_streaming(self) -> bool:
        w = self.world
        return w.link_up and all(w.regions_up.values()) and w.writer == PRIMARY

    def writer_alive(self, region: str) -> bool:
        return self.world.regions_up[region] and self.world.writer == region

    def replication_lag_s(self) -> float | None:
        if not self.world.regions_up[PRIMARY]:
            return None
        return 0.0 if self.replication_streaming() and not self.pending_replication else TICK_S

    def wait_replication_caught_up(self, timeout_s: float) -> bool:
        self._replicate()
        return not self.pending_replication

    def promote_writer(self, region: str) -> Rollback:
        self._act(f"promote_writer {region}")
        self.world.writer = region
        return Rollback(f"promote_writer {region}", "reset()", self.reset, key=RESET)

    def cut_link(self) -> Rollback:
        self._act("cut_link")
        self.world.link_up = False

        def undo() -> None:
            self.world.link_up = True

        return Rollback("cut_link", "restore the link", undo)

    # ---- RegionFault ----------------------------------------------------------------------------
    def kill_region(self, region: str) -> Rollback:
        self._act(f"kill_region {region}")
        self.world.regions_up[region] = False
        self.world.link_up = False
        return Rollback(f"kill_region {region}", "reset()", self.reset, key=RESET)

    # ---- PipelineProcessors ---------------------------------------------------------------------
    def processor_alive(self, region: str) -> bool:
        return self.world.regions_up[region] and self.world.processors[region]

    def consumer_lag_s(self, region: str) -> float | None:
        return 0.0 if self.consumed[region] == len(self.streams[region]) else TICK_S

    def stream_backlog(self, region: str) -> int | None:
        if not self.world.regions_up[region]:
            return None
        return len(self.streams[region]) - self.consumed[region]

    def stop_processor(self, region: str, graceful: bool) -> Rollback:
        self._act(f"stop_processor {region}")
        if graceful and self._processing(region):
            self._consume(region)
        self.world.processors[region] = False

        def undo() -> None:
            self.world.processors[region] = True

        return Rollback(f"stop_processor {region}", "start the processor again", undo)

    def start_processor(self, region: str) -> Rollback:
        self._act(f"start_processor {region}")
        self.world.processors[region] = True
        if region != PRIMARY:
            self.consumed[region] = 0  # a promoted region's processor replays its whole stream
        return Rollback(f"start_processor {region}", "nothing to undo", lambda: None)

    # ---- SessionCache ---------------------------------------------------------------------------
    def cache_replication_offsets(self) -> tuple[int, int] | None:
        if not all(self.world.cache_up.values()) or self.world.cache_writer != PRIMARY:
            return None
        return len(self.sessions[PRIMARY]), len(self.sessions[DR])

    def write_session(self, key: str) -> SessionWrite:
        writer = self.world.cache_writer
        if not self.world.cache_up[writer]:
            return SessionWrite(key=key, t_ack=None)
        self.sessions[writer].add(key)
        for region, up in self.world.cache_up.items():
            if up and region != writer:
                self.sessions[region].add(key)
        return SessionWrite(key=key, t_ack=self.clock.time())

    def session_present(self, keys: Iterable[str]) -> set[str]:
        writer = self.world.cache_writer
        if not self.world.cache_up[writer]:
            raise ConnectionError("cache writer is down")
        return set(keys) & self.sessions[writer]

    def kill_cache_primary(self) -> Rollback:
        self._act("kill_cache_primary")
        self.world.cache_up[PRIMARY] = False
        return Rollback("kill_cache_primary", "reset()", self.reset, key=RESET)

    def promote_cache_replica(self) -> Rollback:
        self._act("promote_cache_replica")
        self.world.cache_writer = DR
        return Rollback("promote_cache_replica", "reset()", self.reset, key=RESET)


def without(*methods: str) -> type[FakeTarget]:
    """A ``FakeTarget`` class lacking ``methods`` (a role's members): it does not implement that role."""
    return type("PartialFakeTarget", (FakeTarget,), dict.fromkeys(methods))
