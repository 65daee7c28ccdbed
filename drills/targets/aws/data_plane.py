"""The data plane of the ``aws`` target: load and ledger, event store reads, stream consumer lag.

Everything is found from the outputs (``AwsOutputs``) and reached with the same code the ``local``
target uses: the producer process (``ProducerRun``: SigV4-signed batches to each region's ingest API
URL, its ledger kept in ``work_dir``), the PostgreSQL store reads (``PgEventStore`` over
``AuroraConnInfo``: cluster endpoint, DB secret, TLS) and the consumer-lag clock (``StreamLagClock``:
Kinesis positions against the checkpoints the processor committed in the store). Regions are region
names, as in the outputs.

The producer runs in its own session and resolves its AWS credentials itself from the standard chain
of the environment it inherits: nothing secret is put on its command line or in its files. The
boto3 clients come from the ``ClientFactory`` (the standard chain; the sandbox's endpoints in tests).
"""

from __future__ import annotations

import os
import signal
from contextlib import AbstractContextManager
from pathlib import Path

from contracts.outputs import RegionalKey, Side
from drills.integrity.source import Source
from drills.pipeline.request_signing import default_credentials
from drills.targets import roles
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.store_connection import AuroraConnInfo, DbTls
from drills.targets.local.process import ProcessTable
from drills.targets.pg_event_store import PgEventStore
from drills.targets.producer_run import PRODUCER, ProducerRun
from drills.targets.stream_lag import Stream, StreamLagClock, stream_backlog
from drills.targets.values import LoadSpec, LoadStats, Rollback


class AwsDataPlane:
    """``LoadAndLedger`` and ``EventStore`` of a deployment, plus its stream consumer lag and backlog
    (the ``PipelineProcessors`` probes ``consumer_lag_s`` and ``stream_backlog``).

    ``work_dir`` holds the producer's routing file, config, ledger, status, pid file and log.
    """

    def __init__(self, outputs: AwsOutputs, work_dir: Path, clients: ClientFactory, *,
                 tls: DbTls | None = None) -> None:
        self._outputs = outputs
        self._clients = clients
        work = work_dir.absolute()
        table = ProcessTable(run_dir=work / "run", log_dir=work / "logs", marker=f"{work}{os.sep}")
        self._table = table
        self._producer = ProducerRun(work, table, {
            outputs.region(side): outputs.of(side, RegionalKey.API_URL) for side in (Side.PRIMARY, Side.DR)
        }, env=None, cwd=work)
        self._conninfo = AuroraConnInfo(outputs, clients, tls)
        self._events = PgEventStore(self._conninfo)
        self._lag_clocks: dict[str, StreamLagClock] = {}

    # ---- LoadAndLedger ----------------------------------------------------------------------------
    def start_load(self, load: LoadSpec) -> Rollback:
        """Start the producer: the primary region's API for single ingest, both for dual.

        The standard chain is asked for credentials here first, so a drill without any fails at once
        with ``SigningError``'s one line instead of waiting for acknowledgements that never come (the
        producer, which inherits this environment, resolves them again itself)."""
        if self._producer.running():
            pid_file = self._table.pid_file(PRODUCER)
            raise ValueError(f"a producer already runs (pid file {pid_file}): stop_load() first")
        default_credentials()
        return self._producer.start(load)

    def stop_load(self) -> None:
        self._producer.stop()

    def load_stats(self) -> LoadStats:
        return self._producer.stats()

    def ledger_path(self) -> Path | None:
        return self._producer.ledger_path()

    def repoint(self, region: str) -> Rollback:
        """Send every later batch to ``region``'s ingest API only; the rollback restores the routing
        as it was (single or dual) and tells the producer again."""
        self._outputs.side_of(region)
        before = self._producer.routed_regions()
        self._producer.repoint(region)

        def undo() -> None:
            if before:
                self._producer.write_routing(before)
                self._table.send(PRODUCER, signal.SIGHUP)

        return Rollback(f"repoint {region}", f"route the producer to {' + '.join(before) or 'nothing'} again",
                        undo)

    # ---- EventStore -------------------------------------------------------------------------------
    def store_count(self, region: str) -> int | None:
        return self._events.store_count(region)

    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        return self._events.newest_stored_keys(region, since, limit)

    def snapshot(self, region: str) -> AbstractContextManager[Source]:
        return self._events.snapshot(region)

    def store_dsn(self, region: str) -> str:
        return self._events.store_dsn(region)

    # ---- stream probes (PipelineProcessors signatures) --------------------------------------------
    def consumer_lag_s(self, region: str) -> float | None:
        """Age of the oldest record of ``region``'s stream after its processor's committed checkpoint
        (0 when every record is committed): the IteratorAge analogue, from the stream and the store."""
        clock = self._lag_clocks.get(region)
        if clock is None:
            clock = StreamLagClock(self._stream(region), lambda: self._events.connect(region, timeout_s=1),
                                   lambda: self._clients("kinesis", region))
            self._lag_clocks[region] = clock
        return clock.lag_s()

    def stream_backlog(self, region: str) -> int | None:
        """Records of ``region``'s stream after the committed checkpoints; None when unreadable."""
        return stream_backlog(self._stream(region), lambda: self._events.connect(region, timeout_s=2),
                              lambda: self._clients("kinesis", region))

    def close(self) -> None:
        """Close the lag clocks' kept connections (the producer is stopped by ``stop_load``)."""
        for clock in self._lag_clocks.values():
            clock.close()
        self._lag_clocks = {}

    def _stream(self, region: str) -> Stream:
        side = self._outputs.side_of(region)
        return Stream(self._outputs.of(side, RegionalKey.STREAM_NAME),
                      self._outputs.of(side, RegionalKey.STREAM_ARN))


def data_plane_roles(plane: AwsDataPlane) -> tuple[roles.LoadAndLedger, roles.EventStore]:
    """The data plane as each role: type-checked, so mypy fails here when a role and it drift apart."""
    return plane, plane
