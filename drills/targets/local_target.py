"""The ``local`` target: every role of ``drills.targets.roles`` implemented on the sandbox (DESIGN §4).

``configure`` changes the link latency and the replication mode on the running sandbox. Every fault
on the sandbox is undone the same honest way: ``reset()`` rebuilds the original topology (a killed
region cannot be "un-killed"), so those rollbacks share the key ``reset`` and run once. A sandbox
started for one drill and taken down right after (``disposable``) is not rebuilt only to be taken
down: its rollback is the teardown, which leaves the machine as the drill found it (no sandbox).
The producer (device simulator) is started by the drill as one more sandbox-managed process, so
``sandbox down`` / ``reset`` also stop it.

Probes may be called from the lag sampler threads: each call opens its own short-lived connection.
"""

from __future__ import annotations

import bisect
import json
import math
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import psycopg.sql
import redis
from psycopg.conninfo import make_conninfo

from contracts.journal import TargetInfo
from contracts.store import CHECKPOINT_TABLE, TABLE
from drills.integrity.postgres_source import PostgresSource
from drills.ledger import Ledger
from drills.pipeline.config import ProducerConfig
from drills.targets import roles
from drills.targets.local import aws_seed, postgres, valkey
from drills.targets.local.credentials import Credentials
from drills.targets.local.postgres import STANDBY_NAME
from drills.targets.local.sandbox import DB_LINK, Sandbox, SandboxSettings
from drills.targets.local.settings import ReplicationMode as SandboxReplication
from drills.targets.local.state import RegionRecord
from drills.targets.values import (
    ComponentHealth,
    Health,
    LoadSpec,
    LoadStats,
    Rollback,
    SessionWrite,
    TopologySpec,
)

PRODUCER = "producer"
RESET = "reset"
#: How often the drill producer posts a batch (see ``_batch_size``).
BATCH_INTERVAL_S = 0.05
#: Heap pages read from the end of the store to find the newest processed event (inserts append).
TAIL_PAGES = 4


class LocalTarget:
    """Drives one sandbox; ``settings`` are the topology it is reset to. ``disposable``: the caller
    takes the sandbox down after the drill, so a rollback that would rebuild it takes it down."""

    def __init__(self, settings: SandboxSettings, disposable: bool = False,
                 progress: Callable[[str], None] = lambda _: None) -> None:
        self._original = settings
        self._disposable = disposable
        self._torn_down = False
        self.sandbox = Sandbox(settings, progress=progress)
        self._work = settings.state_dir / "drill"
        self._ledger: Path | None = None
        self._status: Path | None = None
        self._wal_clock: _WalClock | None = None
        self._consumer_clocks: dict[str, _ConsumerClock] = {}
        self._session_clients: dict[int, redis.Redis] = {}

    # ---- helpers --------------------------------------------------------------------------------
    @property
    def _settings(self) -> SandboxSettings:
        """The sandbox's settings (regions, ports, names)."""
        return self.sandbox.settings

    def _pg_port(self, region: str) -> int:
        ports = self._settings.ports
        return ports.pg_primary if region == self._settings.primary_region else ports.pg_standby

    def _api_url(self, region: str) -> str:
        ports = self._settings.ports
        port = ports.api_primary if region == self._settings.primary_region else ports.api_dr
        return f"http://127.0.0.1:{port}/"

    def _store(self, region: str, timeout_s: int = 2) -> psycopg.Connection:
        return postgres.connect(self._pg_port(region), self.sandbox.credentials(), self._settings.db_name,
                                timeout_s)

    def _cache_port(self, writer: bool) -> int:
        state = self.sandbox.state()
        primary_is_writer = state.cache_writer_region == self._settings.primary_region
        ports = self._settings.ports
        return ports.cache_primary if primary_is_writer == writer else ports.cache_replica

    def _reset_rollback(self, action: str) -> Rollback:
        if self._disposable:
            return Rollback(action=action, description="take down the sandbox started for this drill "
                            "(as found: no sandbox)", undo=self._tear_down, key=RESET)
        return Rollback(action=action, description="reset(): rebuild the original sandbox topology",
                        undo=self.reset, key=RESET)

    def _tear_down(self) -> None:
        self.sandbox.down(force=True)
        self._torn_down = True

    # ---- probes ---------------------------------------------------------------------------------
    def info(self) -> TargetInfo:
        return TargetInfo(kind="local", environment=self._settings.environment_suffix,
                          primary_region=self._settings.primary_region, dr_region=self._settings.dr_region)

    def health(self) -> Health:
        if self._torn_down:
            return Health((ComponentHealth("sandbox", True, "taken down after the drill that started it, "
                                           "as it was found"),))
        try:
            rows = self.sandbox.status()
        except Exception as err:  # no sandbox at all: one clear component line
            return Health((ComponentHealth("sandbox", False, str(err)),))
        return Health(tuple(ComponentHealth(r.name, r.healthy, r.detail or r.role) for r in rows))

    def replication_streaming(self) -> bool:
        return self.sandbox.replication_lag().standby_streaming

    def writer_alive(self, region: str) -> bool:
        try:
            with self._store(region, timeout_s=1) as conn:
                row = conn.execute("SELECT NOT pg_is_in_recovery()").fetchone()
            return bool(row and row[0])
        except psycopg.Error:
            return False

    def replication_lag_s(self) -> float | None:
        """WAL durability lag in seconds (the AuroraGlobalDBRPOLag analogue), see ``_WalClock``."""
        if self._wal_clock is None:
            self._wal_clock = _WalClock(self._settings.ports.pg_primary, self._settings.ports.pg_standby,
                                        self.sandbox.credentials)
        return self._wal_clock.lag_s()

    def consumer_lag_s(self, region: str) -> float | None:
        """Newest acknowledged event's send time minus the newest stored event's device time."""
        if self._ledger is None:
            return None
        clock = self._consumer_clocks.get(region)
        if clock is None or clock.ledger != self._ledger:
            clock = _ConsumerClock(self._ledger, self._pg_port(region), self.sandbox.credentials,
                                   self._settings.db_name)
            self._consumer_clocks[region] = clock
        return clock.lag_s()

    def processor_alive(self, region: str) -> bool:
        return self.sandbox.table.pid(f"processor-{region}") is not None

    def load_stats(self) -> LoadStats:
        if self._status is None or not self._status.exists():
            return LoadStats()
        try:
            data = json.loads(self._status.read_text())
        except (OSError, ValueError):
            return LoadStats()
        return LoadStats(sent=int(data.get("sent", 0)), acknowledged=int(data.get("acked", 0)),
                         errors=int(data.get("errors", 0)),
                         extra={"rate_per_min": float(data.get("rate_per_min", 0.0))})

    def ledger_path(self) -> Path | None:
        return self._ledger

    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        with self._store(region, timeout_s=1) as conn:
            rows = conn.execute(
                f"SELECT event_key FROM {TABLE} WHERE ingested_at > to_timestamp(%s) "
                "ORDER BY ingested_at DESC LIMIT %s", (since, limit)).fetchall()
        return [int(r[0]) for r in rows]

    def store_count(self, region: str) -> int | None:
        try:
            with self._store(region) as conn:
                row = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
            return int(row[0]) if row else None
        except psycopg.Error:
            return None

    def store_dsn(self, region: str) -> str:
        info = postgres.conninfo(self._pg_port(region), self.sandbox.credentials(), self._settings.db_name)
        return make_conninfo(**{k: str(v) for k, v in info.items()})

    @contextmanager
    def snapshot(self, region: str) -> Iterator[PostgresSource]:
        """The store inside ONE repeatable-read, read-only transaction: every read sees the same rows."""
        with self._store(region, timeout_s=5) as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield PostgresSource(conn, name=f"store {region}")

    def stream_backlog(self, region: str) -> int | None:
        """Per shard, read after the committed checkpoint (or from the oldest record without one)."""
        record = self.sandbox.state().regions.get(region)
        if record is None:
            return None
        try:
            with self._store(region, timeout_s=2) as conn:
                rows = conn.execute(f"SELECT shard_id, sequence_number FROM {CHECKPOINT_TABLE} "
                                    "WHERE stream_name = %s", (_checkpoint_stream(record),)).fetchall()
            kinesis = aws_seed.client("kinesis", region, record.endpoint_url)
            shards = [s["ShardId"] for s in kinesis.list_shards(StreamName=record.stream_name)["Shards"]]
            checkpoints = {str(shard): str(seq) for shard, seq in rows}
            return sum(_records_after(kinesis, record.stream_name, shard, checkpoints.get(shard))
                       for shard in shards)
        except Exception:  # unreachable store or stream: unreadable, never "drained"
            return None

    def cache_replication_offsets(self) -> tuple[int, int] | None:
        creds = self.sandbox.credentials()
        primary = valkey.replication_info(self._settings.ports.cache_primary, creds)
        replica = valkey.replication_info(self._settings.ports.cache_replica, creds)
        if not primary or not replica or replica.get("role") != "slave":
            return None
        return int(str(primary.get("master_repl_offset", 0))), int(str(replica.get("slave_repl_offset", 0)))

    def session_present(self, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        with valkey.client(self._cache_port(writer=True), self.sandbox.credentials(), 2.0) as conn:
            pipe = conn.pipeline(transaction=False)
            for key in wanted:
                pipe.exists(f"drill:{key}")
            found = pipe.execute()
        return {k for k, hit in zip(wanted, found, strict=True) if hit}

    # ---- actions --------------------------------------------------------------------------------
    def configure(self, topology: TopologySpec) -> Rollback:
        """Set the link latency and the synchronous standby on the running sandbox (no rebuild).

        Sync mode is applied with ALTER SYSTEM on the running primary because a sandbox started in sync
        mode waits, while it creates the store, for a standby that does not exist yet.
        """
        state = self.sandbox.state()
        latency_before = state.link_latency_ms
        standby_before = STANDBY_NAME if state.replication_mode == SandboxReplication.SYNC.value else ""
        if state.link_latency_ms != topology.link_latency_ms:
            self.sandbox.set_link_latency(topology.link_latency_ms)
        self._set_sync_standby(STANDBY_NAME if topology.replication_mode.value == "sync" else "")

        def undo() -> None:
            if self._torn_down:
                return
            self._set_sync_standby(standby_before)
            if self.sandbox.state().link_latency_ms != latency_before:
                self.sandbox.set_link_latency(latency_before)

        return Rollback(f"configure {topology.replication_mode.value}, link {topology.link_latency_ms:g} ms",
                        f"{state.replication_mode} replication and link {latency_before:g} ms again", undo)

    def _set_sync_standby(self, names: str) -> None:
        with postgres.connect(self._settings.ports.pg_primary, self.sandbox.credentials()) as conn:
            conn.execute(psycopg.sql.SQL("ALTER SYSTEM SET synchronous_standby_names = {}").format(
                psycopg.sql.Literal(names)))
            conn.execute("SELECT pg_reload_conf()")

    def start_load(self, load: LoadSpec) -> Rollback:
        self._work.mkdir(parents=True, exist_ok=True)
        stamp = f"{time.time():.0f}"
        self._ledger = self._work / f"ledger-{stamp}.sqlite"
        self._status = self._work / f"producer-{stamp}.status.json"
        single = load.ingest.value == "single"
        regions = [self._settings.primary_region] if single else list(self.sandbox.regions)
        self._write_routing(regions)
        config = ProducerConfig(rate_per_min=load.rate_per_min, devices=load.devices,
                                batch_size=_batch_size(load.rate_per_min),
                                routing_file=self._work / "routing.json", ledger_path=self._ledger,
                                status_path=self._status)
        path = self._work / "producer.json"
        path.write_text(config.model_dump_json())
        self.sandbox.table.spawn(PRODUCER, [sys.executable, "-m", "drills.pipeline.producer", "--config",
                                            str(path)], env=self.sandbox._python_env(), cwd=Path.cwd())
        return Rollback("start_load", "stop the producer", self.stop_load)

    def stop_load(self) -> None:
        self.sandbox.table.stop({PRODUCER: signal.SIGTERM}, grace_s=10.0)

    def kill_region(self, region: str) -> Rollback:
        """The writer database dies first, then everything else of the region.

        The sandbox kills a region's processes one by one, each waited for; a processor and a
        database that outlive the stream endpoint by those milliseconds commit and ship the last
        records, which no region outage allows. Killing the writer first keeps what was not yet
        committed and replicated at t0 lost, as in a region that dies at once.
        """
        self.sandbox.kill(f"pg-{region}")
        self.sandbox.kill_region(region)
        return self._reset_rollback(f"kill_region {region}")

    def cut_link(self) -> Rollback:
        self.sandbox.cut_link(DB_LINK)
        return Rollback("cut_link", "restore the DB link", lambda: self.sandbox.restore_link(DB_LINK))

    def stop_processor(self, region: str, graceful: bool) -> Rollback:
        name = f"processor-{region}"
        if graceful:
            self.sandbox.table.stop({name: signal.SIGTERM}, grace_s=10.0)
        else:
            self.sandbox.kill_processor(region)
        return Rollback(f"stop_processor {region}", "start the processor again if it is not running",
                        lambda: self._ensure_processor(region))

    def start_processor(self, region: str) -> Rollback:
        self._ensure_processor(region)
        return Rollback(f"start_processor {region}", "nothing to undo: processors run in a healthy sandbox",
                        lambda: None)

    def wait_replication_caught_up(self, timeout_s: float) -> bool:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if self.sandbox.replication_lag().byte_lag == 0:
                return True
            time.sleep(0.05)
        return False

    def promote_writer(self, region: str) -> Rollback:
        """Promote the DR database; its processor, idling on the standby, starts consuming by itself.

        It resumes from its own stream's checkpoints (keyed by stream ARN, so the primary's
        replicated rows never apply), or replays from the newest stored event minus its margin.
        """
        if region != self._settings.dr_region:
            raise ValueError(f"the local target can only promote the DR region ({self._settings.dr_region})")
        self.sandbox.promote_standby()
        return self._reset_rollback(f"promote_writer {region}")

    def repoint(self, region: str) -> Rollback:
        self._write_routing([region])
        self.sandbox.table.send(PRODUCER, signal.SIGHUP)
        return self._reset_rollback(f"repoint {region}")

    def write_session(self, key: str) -> SessionWrite:
        """One SET on the cache writer; the client is kept per port (the writer changes on promotion)."""
        port = self._cache_port(writer=True)
        try:
            client = self._session_clients.get(port)
            if client is None:
                client = self._session_clients[port] = valkey.client(port, self.sandbox.credentials(), 0.3)
            client.set(f"drill:{key}", "1")
            return SessionWrite(key=key, t_ack=time.time())
        except redis.RedisError:
            return SessionWrite(key=key, t_ack=None)

    def kill_cache_primary(self) -> Rollback:
        self.sandbox.kill(f"valkey-{self._settings.primary_region}")
        return self._reset_rollback("kill_cache_primary")

    def promote_cache_replica(self) -> Rollback:
        self.sandbox.promote_cache()
        return self._reset_rollback("promote_cache_replica")

    def reset(self) -> None:
        """Rebuild with the settings this target was created with."""
        self.sandbox.settings = self._original
        self.sandbox.reset()
        self._ledger = self._status = None
        self._wal_clock = None
        self._consumer_clocks = {}
        self._session_clients = {}

    def _ensure_processor(self, region: str) -> None:
        if not self.processor_alive(region):
            self.sandbox.start_processor(region)

    def _write_routing(self, regions: list[str]) -> None:
        path = self._work / "routing.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"api_urls": [self._api_url(r) for r in regions], "regions": regions}))
        tmp.replace(path)


def _batch_size(rate_per_min: int) -> int:
    """Events per POST so that a batch leaves every ``BATCH_INTERVAL_S``: a device fleet posts
    continuously. With 0.2 s bursts (the producer's default) the processor often empties the stream
    between bursts, so whether an async outage loses anything would depend on where in the burst
    cycle the kill lands rather than on the replication and consumer lag being measured."""
    return max(1, min(500, math.ceil(rate_per_min / 60.0 * BATCH_INTERVAL_S)))


def _checkpoint_stream(record: RegionRecord) -> str:
    """The ``stream_checkpoints.stream_name`` key of this region's processor: the stream's ARN."""
    return record.stream_arn


def _records_after(kinesis: Any, stream: str, shard: str, checkpoint: str | None) -> int:
    """Records of ``shard`` after ``checkpoint`` (1000 at most: only "any left?" matters)."""
    kwargs: dict[str, Any] = {"StreamName": stream, "ShardId": shard}
    if checkpoint is None:
        kwargs["ShardIteratorType"] = "TRIM_HORIZON"
    else:
        kwargs |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": checkpoint}
    iterator = kinesis.get_shard_iterator(**kwargs)["ShardIterator"]
    response = kinesis.get_records(ShardIterator=iterator, Limit=1000)
    return len(response["Records"]) or int(response.get("MillisBehindLatest", 0) > 0)


class _WalClock:
    """How many seconds of the primary's WAL the DR standby has not yet received and flushed.

    Each sample reads the primary's current LSN (kept as a history) and the standby's received LSN;
    the lag is how long ago the primary was where the standby is now. Unlike the replay timestamp it
    does not grow between sparse commits on a caught-up pair, and it keeps growing while the link is
    cut. Once the primary is gone it is unreadable (None): the value at t0 is the last one before.
    Used from one sampler thread only; connections are kept open and reopened after an error, with
    the credentials read again (a rebuilt sandbox has new ones).
    """

    def __init__(self, primary_port: int, standby_port: int, creds: Callable[[], Credentials]) -> None:
        self._ports, self._creds = (primary_port, standby_port), creds
        self._conns: list[psycopg.Connection | None] = [None, None]
        self._times: list[float] = []
        self._lsns: list[int] = []

    def _query(self, side: int, sql: str) -> int | None:
        conn = self._conns[side]
        try:
            if conn is None or conn.closed:
                conn = postgres.connect(self._ports[side], self._creds(), connect_timeout_s=1)
                self._conns[side] = conn
            row = conn.execute(sql).fetchone()
        except psycopg.Error:
            if conn is not None:
                conn.close()
            self._conns[side] = None
            return None
        return None if row is None or row[0] is None else int(row[0])

    def lag_s(self) -> float | None:
        now = time.time()
        primary = self._query(0, "SELECT (pg_current_wal_lsn() - '0/0')::bigint")
        if primary is None:
            return None
        self._times.append(now)
        self._lsns.append(primary)
        standby = self._query(1, "SELECT (pg_last_wal_receive_lsn() - '0/0')::bigint")
        if standby is None:
            return None
        if standby >= primary:
            return 0.0
        i = bisect.bisect_left(self._lsns, standby)
        return round(now - self._times[min(i, len(self._times) - 1)], 4)


class _ConsumerClock:
    """The processor's age behind the newest acknowledged event (the IteratorAge analogue).

    The newest stored event is read from the last few heap pages (a TID range scan: the store is
    insert-only, so new rows append), which keeps a 10 Hz probe cheap on a large table. Used from one
    sampler thread; connections stay open and are reopened after an error.
    """

    def __init__(self, ledger: Path, port: int, creds: Callable[[], Credentials], db_name: str) -> None:
        self.ledger, self._port, self._creds, self._db_name = ledger, port, creds, db_name
        self._reader = Ledger(ledger)
        self._pg: psycopg.Connection | None = None

    def lag_s(self) -> float | None:
        newest_ack = self._reader.newest_acknowledged_sent()
        if newest_ack is None:
            return None
        try:
            if self._pg is None or self._pg.closed:
                self._pg = postgres.connect(self._port, self._creds(), self._db_name, connect_timeout_s=1)
            pages = self._pg.execute(f"SELECT pg_relation_size('{TABLE}') / 8192").fetchone()
            first = max(0, int(pages[0]) - TAIL_PAGES) if pages else 0
            newest = self._pg.execute(
                f"SELECT extract(epoch FROM max(ts))::float8 FROM {TABLE} WHERE ctid >= %s::tid",
                (f"({first},0)",),
            ).fetchone()
        except psycopg.Error:
            if self._pg is not None:
                self._pg.close()
            self._pg = None
            return None
        if newest is None or newest[0] is None:
            return None
        return round(max(0.0, newest_ack - float(newest[0])), 4)


def every_role(target: LocalTarget) -> tuple[roles.Target, roles.LoadAndLedger, roles.EventStore,
                                             roles.DatabaseReplication, roles.RegionFault,
                                             roles.PipelineProcessors, roles.SessionCache]:
    """The local target as each role: type-checked, so mypy fails here when a role and it drift apart."""
    return target, target, target, target, target, target, target
