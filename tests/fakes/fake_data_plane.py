"""An in-memory data plane for the aws target (``drills.targets.aws.data_plane_role.DataPlane``): the
producer, its ledger and the two regions' stores, on a manual clock, so ``AwsTarget`` runs every
scenario through the runner with only AWS itself stubbed.

The world it models, one tick every ``TICK_S``: while the load runs, ``batch`` events are sent to the
region the producer is routed to and, when that region's ingest is up, acknowledged into its stream;
then the processors of the region holding the database ``writer`` move their stream into the store,
which Aurora holds in both regions (its replication lag is what the SQL stand-in says, not modelled
here). ``ingest_up``, ``processing`` and ``writer`` are set by the test's AWS world as the drill's
actions change the deployment. The ledger is a real SQLite file with the project's schema. ``calls``
logs the changes asked of it; ``fail_on`` makes the call of that exact name raise.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from drills.clock import Clock
from drills.targets.values import IngestMode, LoadSpec, Rollback
from tests.fakes.fake_producer import FakeProducer, ProducerLoad
from tests.fakes.memory_source import MemorySource

TICK_S = 0.05


class FakeDataPlane(ProducerLoad):
    def __init__(self, clock: Clock, work_dir: Path, regions: tuple[str, str], batch: int = 5,
                 fail_on: Iterable[str] = ()) -> None:
        self.clock, self.work_dir, self.batch = clock, work_dir, batch
        self.primary, self.dr = regions
        self.fail_on = set(fail_on)
        self.calls: list[str] = []
        self.ingest_up = {region: True for region in regions}
        self.processing = {region: True for region in regions}
        self.writer = self.primary
        self.streams: dict[str, list[tuple[int, int]]] = {region: [] for region in regions}
        self.consumed = {region: 0 for region in regions}
        self.stores: dict[str, dict[int, int]] = {region: {} for region in regions}
        self.stored_at: dict[str, dict[int, float]] = {region: {} for region in regions}
        self.routing = [self.primary]
        self.producer = FakeProducer()
        self._lock = threading.Lock()  # the world ticks in its own thread on the system clock
        self._ticker = clock.every(TICK_S, self._tick, "fake-data-plane")

    def _act(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail_on:
            raise ConnectionError(f"injected failure of {name}")

    def _tick(self) -> None:
        with self._lock:
            self._tick_locked()

    def _tick_locked(self) -> None:
        if self.producer.loading:
            self._send()
        region = self.writer
        if self.processing[region]:
            now = self.clock.time()
            for key, digest in self.streams[region][self.consumed[region]:]:
                for store in self.stores:
                    self.stores[store][key] = digest
                    self.stored_at[store][key] = now
            self.consumed[region] = len(self.streams[region])

    def _send(self) -> None:
        up = all(self.ingest_up[r] for r in self.routing)
        events = self.producer.send(self.batch, self.routing[0], self.clock.time(), up)
        if up:
            for region in self.routing:
                self.streams[region].extend(events)

    def close(self) -> None:
        self._ticker.stop()
        self.producer.close()

    # ---- LoadAndLedger --------------------------------------------------------------------------
    def start_load(self, load: LoadSpec) -> Rollback:
        self._act("start_load")
        self.producer.start(self.work_dir / "ledger.sqlite")
        self.routing = [self.primary] if load.ingest is IngestMode.SINGLE else [self.primary, self.dr]
        return Rollback("start_load", "stop the load", self.stop_load)

    def repoint(self, region: str) -> Rollback:
        self._act(f"repoint {region}")
        before = list(self.routing)
        self.routing = [region]

        def undo() -> None:
            self.routing = before

        return Rollback(f"repoint {region}", "route the producer as before", undo)

    # ---- EventStore -----------------------------------------------------------------------------
    def store_count(self, region: str) -> int | None:
        with self._lock:
            return len(self.stores[region])

    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        with self._lock:
            newest = sorted(((t, k) for k, t in self.stored_at[region].items() if t > since), reverse=True)
        return [k for _, k in newest[:limit]]

    @contextmanager
    def snapshot(self, region: str) -> Iterator[MemorySource]:
        with self._lock:
            rows = dict(self.stores[region])
        yield MemorySource(rows, name=f"store {region}")

    def store_dsn(self, region: str) -> str:
        return f"host=fake-{region} dbname=vitals"

    # ---- stream probes --------------------------------------------------------------------------
    def consumer_lag_s(self, region: str) -> float | None:
        return 0.0 if self.stream_backlog(region) == 0 else TICK_S

    def stream_backlog(self, region: str) -> int | None:
        return len(self.streams[region]) - self.consumed[region]
