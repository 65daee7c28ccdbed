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

import contextlib
import hashlib
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path

import psycopg
import psycopg.sql

from contracts.journal import TargetInfo
from drills.integrity.postgres_source import PostgresSource
from drills.measure.position_clock import PositionClock
from drills.targets import roles
from drills.targets.local import aws_seed, postgres, valkey
from drills.targets.local.credentials import Credentials
from drills.targets.local.errors import SandboxError
from drills.targets.local.postgres import STANDBY_NAME
from drills.targets.local.sandbox import DB_LINK, Sandbox, SandboxSettings
from drills.targets.local.settings import ReplicationMode as SandboxReplication
from drills.targets.local.state import RegionRecord
from drills.targets.pg_event_store import PgEventStore
from drills.targets.producer_run import ProducerRun
from drills.targets.session_store import CacheEndpoint, SessionStore, offsets_of_pair
from drills.targets.stream_lag import PROBE_CLIENT, Stream, StreamLagClock, stream_backlog
from drills.targets.values import (
    ComponentHealth,
    Health,
    LoadSpec,
    LoadStats,
    ReplicationMode,
    Rollback,
    SessionWrite,
    TopologySpec,
)

RESET = "reset"


class LocalTarget:
    """Drives one sandbox. It is reset to the topology the sandbox had when this target was created
    (latency and replication mode as ``sandbox up`` / ``sandbox latency`` left them), or to
    ``settings`` when no sandbox runs yet. ``disposable``: the caller takes the sandbox down after the
    drill, so a rollback that would rebuild it takes it down."""

    def __init__(self, settings: SandboxSettings, disposable: bool = False,
                 progress: Callable[[str], None] = lambda _: None) -> None:
        self._original = _running_settings(settings)
        self._disposable = disposable
        self._torn_down = False
        self.sandbox = Sandbox(self._original, progress=progress)
        self._producer = ProducerRun(settings.state_dir / "drill", self.sandbox.table,
                                     {r: self._api_url(r) for r in self.sandbox.regions},
                                     env=self.sandbox._python_env)
        self._events = PgEventStore(lambda region: postgres.conninfo(
            self._pg_port(region), self.sandbox.credentials(), self._settings.db_name))
        self._wal_clock: _WalClock | None = None
        self._consumer_clocks: dict[str, StreamLagClock] = {}
        self._cache_token: str | None = None
        self._sessions = SessionStore(lambda: self._cache_node(self._cache_port(writer=True)))

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
        return self._events.connect(region, timeout_s)

    def _stream(self, region: str) -> tuple[Stream, RegionRecord] | None:
        """``region``'s stream and its seeded resources (None: no such region seeded)."""
        record = self.sandbox.state().regions.get(region)
        if record is None:
            return None
        return Stream(record.stream_name, _checkpoint_stream(record)), record

    def _cache_port(self, writer: bool) -> int:
        state = self.sandbox.state()
        primary_is_writer = state.cache_writer_region == self._settings.primary_region
        ports = self._settings.ports
        return ports.cache_primary if primary_is_writer == writer else ports.cache_replica

    def _cache_node(self, port: int) -> CacheEndpoint:
        """A cache node of the sandbox; its AUTH token is read once per sandbox build."""
        if self._cache_token is None:
            self._cache_token = self.sandbox.credentials().cache_token.get_secret_value()
        return CacheEndpoint(valkey.HOST, port, self._cache_token)

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
        """Age of the oldest record of ``region``'s stream after its processor's committed checkpoint
        (0 when every record is committed), from the stream and the store only: see ``StreamLagClock``."""
        clock = self._consumer_clocks.get(region)
        if clock is None:
            found = self._stream(region)
            if found is None:
                return None
            stream, record = found
            clock = StreamLagClock(stream, lambda: self._store(region, timeout_s=1), lambda: aws_seed.client(
                "kinesis", region, record.endpoint_url, PROBE_CLIENT))
            self._consumer_clocks[region] = clock
        return clock.lag_s()

    def processor_alive(self, region: str) -> bool:
        return self.sandbox.table.pid(f"processor-{region}") is not None

    def load_stats(self) -> LoadStats:
        return self._producer.stats()

    def ledger_path(self) -> Path | None:
        return self._producer.ledger_path()

    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        return self._events.newest_stored_keys(region, since, limit)

    def store_count(self, region: str) -> int | None:
        return self._events.store_count(region)

    def store_dsn(self, region: str) -> str:
        return self._events.store_dsn(region)

    def snapshot(self, region: str) -> AbstractContextManager[PostgresSource]:
        """The store inside ONE repeatable-read, read-only transaction: every read sees the same rows."""
        return self._events.snapshot(region)

    def stream_backlog(self, region: str) -> int | None:
        """Per shard, read after the committed checkpoint (or from the oldest record without one)."""
        found = self._stream(region)
        if found is None:
            return None
        stream, record = found
        return stream_backlog(stream, lambda: self._store(region, timeout_s=2),
                              lambda: aws_seed.client("kinesis", region, record.endpoint_url))

    def cache_replication_offsets(self) -> tuple[int, int] | None:
        """(primary ``master_repl_offset``, replica ``slave_repl_offset``), each read from its own node
        over kept connections with a short timeout (``SessionStore``)."""
        ports = self._settings.ports
        return offsets_of_pair(self._sessions.replication_info(self._cache_node(ports.cache_primary)),
                               self._sessions.replication_info(self._cache_node(ports.cache_replica)))

    def topology(self) -> TopologySpec | None:
        """Link latency as the sandbox applied it and the primary's synchronous standby setting."""
        try:
            names = self._sync_standby()
        except psycopg.Error:
            return None
        return TopologySpec(replication_mode=ReplicationMode("sync" if names.strip() else "async"),
                            link_latency_ms=self.sandbox.state().link_latency_ms)

    def lock_dir(self) -> Path | None:
        """Per sandbox (its state dir), but outside it: ``sandbox down`` and ``reset`` empty the state
        dir, and a drill's lock file must outlive the rebuilds the drill itself triggers."""
        key = hashlib.sha256(str(self._settings.state_dir.resolve()).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "htdr-drill-locks" / f"local-{key}"

    def session_present(self, keys: Iterable[str]) -> set[str]:
        return self._sessions.present(keys)

    # ---- actions --------------------------------------------------------------------------------
    def configure(self, topology: TopologySpec) -> Rollback:
        """Set the link latency and the synchronous standby on the running sandbox (no rebuild).

        Sync mode is applied with ALTER SYSTEM on the running primary because a sandbox started in sync
        mode waits, while it creates the store, for a standby that does not exist yet.
        """
        state = self.sandbox.state()
        latency_before = state.link_latency_ms
        standby_before = self._sync_standby()
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
                        f"synchronous_standby_names {standby_before!r} and link {latency_before:g} ms again",
                        undo)

    def _sync_standby(self) -> str:
        with postgres.connect(self._settings.ports.pg_primary, self.sandbox.credentials()) as conn:
            row = conn.execute("SHOW synchronous_standby_names").fetchone()
        return str(row[0]) if row else ""

    def _set_sync_standby(self, names: str) -> None:
        with postgres.connect(self._settings.ports.pg_primary, self.sandbox.credentials()) as conn:
            conn.execute(psycopg.sql.SQL("ALTER SYSTEM SET synchronous_standby_names = {}").format(
                psycopg.sql.Literal(names)))
            conn.execute("SELECT pg_reload_conf()")

    def start_load(self, load: LoadSpec) -> Rollback:
        return self._producer.start(load)

    def stop_load(self) -> None:
        self._producer.stop()

    def kill_region(self, region: str) -> Rollback:
        """The whole region stops at one instant, then dies.

        The sandbox kills a region's processes one by one, each waited for; an ingest API, processor
        or database that outlives the others by those milliseconds would acknowledge, commit or ship
        records after the fault started, which no region outage allows. So every process group of
        the region is first frozen (SIGSTOP, ingest API first so it stops acknowledging, in one pass
        of a few system calls), then the links are cut and the frozen processes killed.
        """
        self._freeze_region(region)
        self.sandbox.kill_region(region)
        return self._reset_rollback(f"kill_region {region}")

    def _freeze_region(self, region: str) -> None:
        table = self.sandbox.table
        names = sorted((n for n in table.names() if n.partition("-")[2] == region),
                       key=lambda n: (not n.startswith("api-"), n))
        pids = [pid for pid in (table.pid(n) for n in names) if pid is not None]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGSTOP)

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

    def pause_processor(self, region: str) -> Rollback:
        """SIGSTOP the processor's process group: it holds whatever it read and commits nothing."""
        name = f"processor-{region}"
        if not self.sandbox.table.send(name, signal.SIGSTOP):
            raise ValueError(f"{name} is not running: nothing to pause")

        def resume() -> None:
            self.sandbox.table.send(name, signal.SIGCONT)

        return Rollback(f"pause_processor {region}", "resume the processor (SIGCONT)", resume)

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
        self._producer.repoint(region)
        return self._reset_rollback(f"repoint {region}")

    def write_session(self, key: str) -> SessionWrite:
        """One SET on the cache writer (the writer's port changes on promotion)."""
        return self._sessions.write(key)

    def kill_cache_primary(self) -> Rollback:
        self.sandbox.kill(f"valkey-{self._settings.primary_region}")
        return self._reset_rollback("kill_cache_primary")

    def promote_cache_replica(self) -> Rollback:
        self.sandbox.promote_cache()
        return self._reset_rollback("promote_cache_replica")

    def restore(self, topology: TopologySpec | None) -> None:
        """Rebuild with ``topology`` (the one recorded before an interrupted drill), else as ``reset``."""
        if topology is not None:
            self._original = replace(self._original, link_latency_ms=topology.link_latency_ms,
                                     replication_mode=SandboxReplication(topology.replication_mode.value))
        self.reset()

    def reset(self) -> None:
        """Rebuild with the topology this target found (see the class docstring)."""
        self.sandbox.settings = self._original
        self.sandbox.reset()
        self._producer.forget()
        self._wal_clock = None
        self._consumer_clocks = {}
        self._sessions.forget()
        self._cache_token = None

    def _ensure_processor(self, region: str) -> None:
        if not self.processor_alive(region):
            self.sandbox.start_processor(region)


def _running_settings(settings: SandboxSettings) -> SandboxSettings:
    """The settings of the sandbox running in ``settings.state_dir`` (as its state records them), or
    ``settings`` when none runs there."""
    try:
        running = Sandbox.attach(settings.state_dir).settings
    except SandboxError:
        return settings
    return replace(running, state_dir=settings.state_dir)


def _checkpoint_stream(record: RegionRecord) -> str:
    """The ``stream_checkpoints.stream_name`` key of this region's processor: the stream's ARN."""
    return record.stream_arn


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
        self._history = PositionClock()

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
        self._history.record(now, primary)
        standby = self._query(1, "SELECT (pg_last_wal_receive_lsn() - '0/0')::bigint")
        if standby is None:
            return None
        return self._history.lag_s(now, standby)


def every_role(target: LocalTarget) -> tuple[roles.Target, roles.LoadAndLedger, roles.EventStore,
                                             roles.DatabaseReplication, roles.RegionFault,
                                             roles.PipelineProcessors, roles.SessionCache]:
    """The local target as each role: type-checked, so mypy fails here when a role and it drift apart."""
    return target, target, target, target, target, target, target
