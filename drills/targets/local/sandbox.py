"""The local sandbox: lifecycle (up/down/status) and the fault and recovery primitives drills use.

Two emulated regions on loopback: PostgreSQL primary + streaming standby and Valkey primary +
replica, each pair replicating through a latency link; one moto server per region; the ingest API
and the processor of each region (``drills.pipeline``). Every process runs in its own session with
a pid file under ``<state>/run``; every action is recorded in ``<state>/state.json``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from contracts import processor_environment as penv
from contracts import secrets as secret_keys
from drills.pipeline.config import IngestApiConfig
from drills.targets.local import aws_seed, ecs_secrets, lag, postgres, valkey
from drills.targets.local.binaries import Binaries, locate_binaries
from drills.targets.local.component import ComponentStatus
from drills.targets.local.credentials import Credentials
from drills.targets.local.errors import SandboxError
from drills.targets.local.link import LinkState, latency_file
from drills.targets.local.outputs import build_outputs, remove_if_ours, write_outputs
from drills.targets.local.ports import is_listening, port_is_free, require_free_ports, wait_until
from drills.targets.local.process import (
    ProcessTable,
    RunAs,
    kill_pid,
    require_traversable,
    unprivileged_account,
)
from drills.targets.local.settings import ReplicationMode, SandboxSettings
from drills.targets.local.state import RegionRecord, SandboxState, load_state, save_state

DB_LINK, CACHE_LINK = "link-db", "link-cache"
PIPELINE_MODULES = ("drills.pipeline.ingest_api", "drills.pipeline.processor")
#: Stop stages for ``down``: consumers before what they consume, links last; a stage stops together.
_STOP_ORDER = (("processor-",), ("api-", "moto-"), ("valkey-", "pg-"), ("link-",))
_PROJECT_ROOT = Path(__file__).resolve().parents[3]
#: botocore's standard endpoint override: the processor, like on AWS, is given no endpoint of its own.
_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Default progress sink (the CLI passes a rich one)."""


#: Settings state.json keeps as they are, so ``attach`` rebuilds exactly what ``up`` was given
#: (``outputs_path`` and ``replication_mode`` are kept too, converted to and from text).
_KEPT_SETTINGS = (
    "port_base",
    "link_latency_ms",
    "primary_region",
    "dr_region",
    "environment_suffix",
    "db_name",
    "stream_shards",
    "with_pipeline",
    "pg_os_user",
)


def _initial_state(s: SandboxSettings) -> SandboxState:
    """The state ``up`` starts from: its settings, both writers in the primary region."""
    return SandboxState(
        outputs_path=str(s.outputs_path),
        replication_mode=s.replication_mode.value,
        db_writer_region=s.primary_region,
        cache_writer_region=s.primary_region,
        **{name: getattr(s, name) for name in _KEPT_SETTINGS},
    )


def _settings_of(state_dir: Path, state: SandboxState) -> SandboxSettings:
    """The settings a sandbox was started with, read back from its state."""
    return SandboxSettings(
        state_dir=state_dir,
        outputs_path=Path(state.outputs_path),
        replication_mode=ReplicationMode.parse(state.replication_mode),
        **{name: getattr(state, name) for name in _KEPT_SETTINGS},
    )


class Sandbox:
    """One sandbox, identified by its state dir; all methods are safe to call from a fresh process."""

    def __init__(self, settings: SandboxSettings, progress: Progress = _quiet) -> None:
        self.settings = settings
        self.progress = progress
        root = settings.state_dir
        self.state_file = root / "state.json"
        self.credentials_file = root / "credentials.json"
        self.table = ProcessTable(run_dir=root / "run", log_dir=root / "logs", marker=f"{root}{os.sep}")

    @classmethod
    def attach(cls, state_dir: Path, progress: Progress = _quiet) -> Sandbox:
        """The sandbox living in ``state_dir``, with the settings it was started with."""
        state = load_state(state_dir.absolute() / "state.json")
        if state is None:
            raise SandboxError(f"no sandbox in {state_dir}: run 'htdr sandbox up' first")
        return cls(_settings_of(state_dir, state), progress)

    # ----------------------------------------------------------------- names and paths
    @property
    def regions(self) -> tuple[str, str]:
        return self.settings.primary_region, self.settings.dr_region

    def _pg_node(self, region: str) -> postgres.PgNode:
        ports = self.settings.ports
        port = ports.pg_primary if region == self.settings.primary_region else ports.pg_standby
        return postgres.PgNode(f"pg-{region}", self.settings.state_dir / "pg" / region, port)

    def _cache_node(self, region: str) -> valkey.CacheNode:
        ports = self.settings.ports
        if region == self.settings.primary_region:
            return valkey.CacheNode(
                f"valkey-{region}", self.settings.state_dir / "valkey" / region, ports.cache_primary
            )
        return valkey.CacheNode(
            f"valkey-{region}",
            self.settings.state_dir / "valkey" / region,
            ports.cache_replica,
            replicaof_port=ports.cache_link,
        )

    def _moto_port(self, region: str) -> int:
        ports = self.settings.ports
        return ports.moto_primary if region == self.settings.primary_region else ports.moto_dr

    def _api_port(self, region: str) -> int:
        ports = self.settings.ports
        return ports.api_primary if region == self.settings.primary_region else ports.api_dr

    def _config_path(self, name: str) -> Path:
        return self.settings.state_dir / "config" / f"{name}.json"

    def _link_state_file(self, name: str) -> Path:
        return self.table.run_dir / f"{name}.state.json"

    def credentials(self) -> Credentials:
        """The generated credentials of the running sandbox (for drills' own clients)."""
        return Credentials.load(self.credentials_file)

    def state(self) -> SandboxState:
        """The saved state, or a clear error when there is no sandbox in this state dir."""
        state = load_state(self.state_file)
        if state is None:
            raise SandboxError(f"no sandbox in {self.settings.state_dir}: run 'htdr sandbox up' first")
        return state

    @contextmanager
    def _changing_state(self) -> Iterator[SandboxState]:
        """Load, let the caller change, save: every action leaves a trace in ``state.json``."""
        state = self.state()
        yield state
        save_state(self.state_file, state)

    def _record(self, action: str, detail: str = "") -> None:
        with self._changing_state() as st:
            st.record(action, detail)

    # ----------------------------------------------------------------- up
    def up(self) -> bool:
        """Start everything; False when it was already up (idempotent). A failure tears it all down."""
        existing = load_state(self.state_file)
        if existing is not None or self.table.names():
            if existing is not None and existing.phase == "up" and self._healthy():
                return False
            raise SandboxError(
                f"a sandbox in {self.settings.state_dir} is stale or unhealthy ('htdr sandbox status' shows "
                "which part): run 'htdr sandbox down --force' then 'htdr sandbox up'"
            )
        binaries = locate_binaries()
        run_as = unprivileged_account(self.settings.pg_os_user)
        self._check_pipeline_modules()
        require_free_ports(self.settings.ports.named())
        require_traversable(self.settings.state_dir, run_as)
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._start(binaries, run_as)
        except BaseException:
            self.progress("start failed: tearing down what was started")
            self.down(force=True)
            raise
        return True

    def _healthy(self) -> bool:
        """True when every component answers (a stale state or lost credentials count as unhealthy)."""
        try:
            return all(c.healthy for c in self.status())
        except SandboxError:
            return False

    def _check_pipeline_modules(self) -> None:
        if not self.settings.with_pipeline:
            return
        for module in PIPELINE_MODULES:
            if importlib.util.find_spec(module) is None:
                raise SandboxError(
                    f"pipeline module {module} is missing: run ./dev setup from a full checkout"
                )

    def _start(self, binaries: Binaries, run_as: RunAs | None) -> None:
        s, ports = self.settings, self.settings.ports
        t0 = time.monotonic()
        creds = Credentials.generate()
        creds.save(self.credentials_file)
        save_state(self.state_file, _initial_state(s))
        self._record("up", f"mode={s.replication_mode.value} latency_ms={s.link_latency_ms}")
        self.progress("starting AWS API endpoints and links")
        for region in self.regions:
            self._spawn_python(
                f"moto-{region}",
                "drills.targets.local.moto_server",
                ["--port", str(self._moto_port(region)), "--state-dir", self.table.marker],
            )
        self._spawn_link(DB_LINK, ports.db_link, ports.pg_primary)
        self._spawn_link(CACHE_LINK, ports.cache_link, ports.cache_primary)
        self.progress("initialising the PostgreSQL primary")
        primary, standby = (self._pg_node(r) for r in self.regions)
        postgres.init_primary(binaries, primary, creds, run_as)
        postgres.start(binaries, self.table, primary, run_as)
        self._wait(
            lambda: postgres.accepts_connections(primary.port, creds), "PostgreSQL primary", primary.name
        )
        postgres.prepare_database(primary.port, creds, s.db_name)
        self.progress("starting the cache primary and replica")
        for region in self.regions:
            valkey.start(binaries, self.table, self._cache_node(region), creds)
        self.progress("cloning the standby through the link")
        postgres.clone_standby(binaries, standby, ports.db_link, creds, run_as)
        postgres.start(binaries, self.table, standby, run_as)
        self._wait(
            lambda: postgres.is_streaming(standby.port, creds), "PostgreSQL standby streaming", standby.name
        )
        if s.replication_mode is ReplicationMode.SYNC:
            postgres.require_sync_standby(primary.port, creds)
        self._wait(
            lambda: valkey.replica_in_sync(ports.cache_replica, creds),
            "cache replica",
            f"valkey-{s.dr_region}",
        )
        self.progress("seeding KMS keys, streams, buckets and the pre-existing secrets")
        records = self._seed_aws(creds)
        with self._changing_state() as st:
            st.regions.update(records)
        if s.with_pipeline:
            self.progress("starting the ingest APIs and processors")
            self._start_pipeline(records)
        evidence = f"htdr-{s.environment_suffix}-evidence"
        dr = records[s.dr_region]
        signing_key = aws_seed.create_signing_key(dr.region, dr.endpoint_url, s.environment_suffix)
        write_outputs(
            s.outputs_path,
            build_outputs(s, records[s.primary_region], dr, evidence, signing_key),
        )

        with self._changing_state() as st:
            st.phase = "up"
            st.record("ready", f"up in {time.monotonic() - t0:.1f} s")
        self.progress(f"sandbox up in {time.monotonic() - t0:.1f} s")

    def _wait(self, check: Callable[[], bool], what: str, name: str) -> None:
        def ready_or_dead() -> bool:
            if self.table.pid(name) is None:
                raise SandboxError(f"{what} exited during start-up: see {self.table.log_file(name)}")
            return check()

        wait_until(ready_or_dead, self.settings.ready_timeout_s, what)

    def _python_env(self, region: str | None = None) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "PYTHONPATH": str(_PROJECT_ROOT),
        }
        if region:
            env["AWS_DEFAULT_REGION"] = region
        return env

    def _spawn_python(self, name: str, module: str, args: list[str], region: str | None = None) -> int:
        return self.table.spawn(
            name, [sys.executable, "-m", module, *args], env=self._python_env(region), cwd=_PROJECT_ROOT
        )

    def _spawn_link(self, name: str, listen: int, target: int) -> None:
        self._spawn_python(
            name,
            "drills.targets.local.link",
            [
                "--listen-port",
                str(listen),
                "--target-port",
                str(target),
                "--latency-ms",
                str(self.settings.link_latency_ms),
                "--state-file",
                str(self._link_state_file(name)),
            ],
        )

    def _seed_aws(self, creds: Credentials) -> dict[str, RegionRecord]:
        s = self.settings
        for region in self.regions:
            self._wait(
                lambda r=region: is_listening(self._moto_port(r)),  # type: ignore[misc]
                f"AWS API endpoint {region}",
                f"moto-{region}",
            )
        seeds = []
        for region in self.regions:
            db_port = self._pg_node(region).port
            db_secret = {
                secret_keys.DB_USERNAME: creds.db_user,
                secret_keys.DB_PASSWORD: creds.db_password.get_secret_value(),
                "engine": "postgres",
                "host": postgres.HOST,
                "port": db_port,
                "dbname": s.db_name,
            }
            cache_secret = {secret_keys.CACHE_AUTH_TOKEN: creds.cache_token.get_secret_value()}
            seed = aws_seed.RegionSeed(
                region=region,
                endpoint_url=f"http://127.0.0.1:{self._moto_port(region)}",
                stream_name=f"htdr-{s.environment_suffix}-vitals",
                shard_count=s.stream_shards,
                archive_bucket=f"htdr-{s.environment_suffix}-archive-{region}",
                db_secret_name=f"htdr/{s.environment_suffix}/db",
                cache_secret_name=f"htdr/{s.environment_suffix}/cache",
                evidence_bucket=f"htdr-{s.environment_suffix}-evidence"
                if region == s.primary_region
                else None,
            )
            seeds.append((seed, db_secret, cache_secret))
        with ThreadPoolExecutor(max_workers=2) as pool:
            created = list(pool.map(lambda a: aws_seed.seed_region(*a), seeds))
        return {r.region: r for r in created}

    def _start_pipeline(self, records: dict[str, RegionRecord]) -> None:
        for region in self.regions:
            rec = records[region]
            api = IngestApiConfig(
                port=self._api_port(region),
                region=region,
                endpoint_url=rec.endpoint_url,
                stream_name=rec.stream_name,
            )
            self._write_config(f"api-{region}", api.model_dump_json())
            self._spawn_python(
                f"api-{region}",
                "drills.pipeline.ingest_api",
                ["--config", str(self._config_path(f"api-{region}"))],
                region,
            )
            # What the task definition's Environment holds: everything but the credentials, which
            # start_processor resolves from Secrets Manager as ECS does. No TLS on the sandbox.
            environment = {
                penv.REGION: region,
                penv.STREAM_NAME: rec.stream_name,
                penv.DB_HOST: postgres.HOST,
                penv.DB_PORT: str(self._pg_node(region).port),
                penv.DB_NAME: self.settings.db_name,
                penv.DB_SSLMODE: "disable",
                penv.CACHE_HOST: valkey.HOST,
                penv.CACHE_PORT: str(self._cache_node(region).port),
                penv.CACHE_TLS: "false",
                # moto has no per-shard read limit to respect: the sandbox's processors read each
                # shard as fast as they write (the drills' loss and lag figures assume it)
                penv.MIN_READ_INTERVAL_S: "0",
                # one processor per region, restarted under the same name: it resumes its own leases
                penv.WORKER_ID: f"processor-{region}",
            }
            self._write_config(f"processor-{region}", json.dumps(environment))
            self.start_processor(region, record=False)
        for region in self.regions:
            self._wait(
                lambda r=region: is_listening(self._api_port(r)),  # type: ignore[misc]
                f"ingest API {region}",
                f"api-{region}",
            )

    def _write_config(self, name: str, body: str) -> None:
        path = self._config_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)

    # ----------------------------------------------------------------- down
    def down(self, force: bool = False) -> list[int]:
        """Stop every process (by pid file, then by command line) and delete the state except logs.

        Without ``force`` a corrupt state file stops here with a message; with it nothing is read
        but pid files and /proc. Returns the sandbox ports still busy afterwards (normally none).
        """
        if not force:
            load_state(self.state_file)
        for prefixes in _STOP_ORDER:
            stage = [name for name in self.table.names() if name.startswith(prefixes)]
            if stage:
                self.progress(f"stopping {', '.join(stage)}")
                self.table.stop({name: _stop_signal(name) for name in stage})
        for pid in self.table.strays():
            kill_pid(pid)
        root = self.settings.state_dir
        for region in self.regions:
            postgres.release_orphaned_shared_memory(self._pg_node(region).data_dir)
        if root.is_dir():
            for child in root.iterdir():
                if child.name != "logs":
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        remove_if_ours(self.settings.outputs_path)
        busy = list(self.settings.ports.named().values())
        deadline = time.monotonic() + 5.0
        while busy and time.monotonic() < deadline:
            busy = [p for p in busy if not port_is_free(p)]
            if busy:
                time.sleep(0.1)
        return busy

    # ----------------------------------------------------------------- status
    def status(self) -> list[ComponentStatus]:
        """Every component with its health, role and a short detail (lag, link state)."""
        state = self.state()
        creds = self.credentials()
        rows = self._pg_rows(state, creds) + self._link_rows() + self._cache_rows(creds)
        for region in self.regions:
            port = self._moto_port(region)
            pid = self.table.pid(f"moto-{region}")
            rows.append(ComponentStatus(f"moto-{region}", "aws-api", region, pid, port, is_listening(port)))
        if self.settings.with_pipeline:
            for region in self.regions:
                port, api, proc = self._api_port(region), f"api-{region}", f"processor-{region}"
                rows.append(
                    ComponentStatus(api, "ingest-api", region, self.table.pid(api), port, is_listening(port))
                )
                pid = self.table.pid(proc)
                rows.append(ComponentStatus(proc, "processor", region, pid, None, pid is not None))
        return rows

    def _pg_rows(self, state: SandboxState, creds: Credentials) -> list[ComponentStatus]:
        replicating = state.db_writer_region == state.primary_region
        sample = self.replication_lag() if replicating else None
        rows = []
        for region in self.regions:
            pg = self._pg_node(region)
            recovery = postgres.in_recovery(pg.port, creds)
            role = {True: "standby", False: "primary", None: "down"}[recovery]
            detail = _lag_text(sample) if recovery and sample is not None else ""
            pid = self.table.pid(pg.name)
            rows.append(
                ComponentStatus(
                    pg.name, "postgresql", region, pid, pg.port, recovery is not None, role, detail
                )
            )
        return rows

    def _link_rows(self) -> list[ComponentStatus]:
        rows = []
        between = "both"
        for name, port in (
            (DB_LINK, self.settings.ports.db_link),
            (CACHE_LINK, self.settings.ports.cache_link),
        ):
            link = LinkState.read(self._link_state_file(name))
            pid = self.table.pid(name)
            if link is None:
                rows.append(ComponentStatus(name, "link", between, pid, port, False, "unknown"))
                continue
            detail = f"{link.latency_ms:g} ms RTT, {link.connections} connection(s)"
            role = "CUT" if link.cut else "connected"
            rows.append(ComponentStatus(name, "link", between, pid, port, pid is not None, role, detail))
        return rows

    def _cache_rows(self, creds: Credentials) -> list[ComponentStatus]:
        rows = []
        for region in self.regions:
            cache = self._cache_node(region)
            info = valkey.replication_info(cache.port, creds)
            role = "down" if info is None else ("primary" if info.get("role") == "master" else "replica")
            detail = (
                f"link {info.get('master_link_status')}" if info is not None and role == "replica" else ""
            )
            pid = self.table.pid(cache.name)
            rows.append(
                ComponentStatus(cache.name, "valkey", region, pid, cache.port, info is not None, role, detail)
            )
        return rows

    # ----------------------------------------------------------------- probes
    def writer_region(self) -> str:
        """Region whose database currently takes writes (changes on promotion)."""
        return self.state().db_writer_region

    def replication_lag(self) -> lag.ReplicationLag:
        """Lag of the DR standby behind the primary (time and bytes, or reasons)."""
        primary, standby = (self._pg_node(r) for r in self.regions)
        return lag.probe(primary.port, standby.port, self.credentials())

    # ----------------------------------------------------------------- faults and recovery
    def kill_region(self, region: str) -> list[str]:
        """SIGKILL every process of ``region`` (a region outage) and cut both links; returns what died."""
        self._check_region(region)
        killed = [n for n in self.table.names() if n.partition("-")[2] == region]
        for name in killed:
            self.table.kill(name)
        for link in (DB_LINK, CACHE_LINK):
            self._set_link(link, cut=True)
        with self._changing_state() as st:
            st.cut_links = [DB_LINK, CACHE_LINK]
            st.record("kill_region", f"{region}: {', '.join(killed)}")
        return killed

    def kill(self, name: str) -> None:
        """SIGKILL one component by name (e.g. ``pg-ca-central-1``), its whole process group at once."""
        self.table.kill(name)
        self._record("kill", name)

    def cut_link(self, name: str) -> None:
        """Partition the DB or cache link (``link-db`` / ``link-cache``)."""
        self._set_link(name, cut=True)
        with self._changing_state() as st:
            st.cut_links = sorted({*st.cut_links, name})
            st.record("cut_link", name)

    def restore_link(self, name: str) -> None:
        """Heal the partition; replication reconnects on its own."""
        self._set_link(name, cut=False)
        with self._changing_state() as st:
            st.cut_links = [n for n in st.cut_links if n != name]
            st.record("restore_link", name)

    def _set_link(self, name: str, cut: bool) -> None:
        if name not in (DB_LINK, CACHE_LINK):
            raise SandboxError(f"unknown link {name!r}: use {DB_LINK} or {CACHE_LINK}")
        if not self.table.send(name, signal.SIGUSR1 if cut else signal.SIGUSR2):
            raise SandboxError(f"link {name} is not running: 'htdr sandbox status' shows the sandbox state")

        def applied() -> bool:
            link = LinkState.read(self._link_state_file(name))
            return link is not None and link.cut == cut

        wait_until(applied, 5.0, f"link {name} {'cut' if cut else 'restore'}", interval_s=0.005)

    def set_link_latency(self, latency_ms: float) -> None:
        """Change the round trip of both links while running (no rebuild; replication keeps going)."""
        if latency_ms < 0:
            raise SandboxError(f"link latency {latency_ms} ms is negative: use >= 0")
        for name in (DB_LINK, CACHE_LINK):
            latency_file(self._link_state_file(name)).write_text(f"{latency_ms}\n")
            if not self.table.send(name, signal.SIGHUP):
                raise SandboxError(
                    f"link {name} is not running: 'htdr sandbox status' shows the sandbox state"
                )

            def applied(link_name: str = name) -> bool:
                link = LinkState.read(self._link_state_file(link_name))
                return link is not None and link.latency_ms == latency_ms

            wait_until(applied, 5.0, f"link {name} latency change", interval_s=0.005)
        with self._changing_state() as st:
            st.link_latency_ms = latency_ms
            st.record("set_link_latency", f"{latency_ms:g} ms")

    def promote_standby(self) -> None:
        """Make the DR database the writer (pg_promote + clear ``synchronous_standby_names``)."""
        standby = self._pg_node(self.settings.dr_region)
        postgres.promote(standby.port, self.credentials())
        with self._changing_state() as st:
            st.db_writer_region = self.settings.dr_region
            st.record("promote_standby", standby.name)

    def promote_cache(self) -> None:
        """Make the DR cache replica a primary (REPLICAOF NO ONE)."""
        valkey.promote(self.settings.ports.cache_replica, self.credentials())
        with self._changing_state() as st:
            st.cache_writer_region = self.settings.dr_region
            st.record("promote_cache", f"valkey-{self.settings.dr_region}")

    def start_processor(self, region: str, record: bool = True) -> int:
        """(Re)start ``region``'s processor from its saved config; returns its pid."""
        self._check_region(region)
        name = f"processor-{region}"
        if self.table.pid(name) is not None:
            raise SandboxError(f"{name} is already running: kill it first")
        rec = self.state().regions[region]
        environment: dict[str, str] = json.loads(self._config_path(name).read_text())
        sm = aws_seed.client("secretsmanager", region, rec.endpoint_url)
        environment |= ecs_secrets.processor_secrets(
            sm, {penv.DB_SECRET: rec.db_secret_arn, penv.CACHE_SECRET: rec.cache_secret_arn}
        )
        environment[_ENDPOINT_VARIABLE] = rec.endpoint_url
        # The processor takes no arguments (its configuration is the environment, as on ECS); the
        # state dir enters its command line as the byte-code cache, so the process table finds it.
        pycache = self.settings.state_dir / "pycache"
        pid = self.table.spawn(
            name, [sys.executable, "-X", f"pycache_prefix={pycache}", "-m", "drills.pipeline.processor"],
            env=self._python_env(region) | environment, cwd=_PROJECT_ROOT,
        )
        if record:
            self._record("start_processor", name)
        return pid

    def kill_processor(self, region: str) -> None:
        """SIGKILL ``region``'s processor (mid-batch, no chance to checkpoint)."""
        self._check_region(region)
        self.kill(f"processor-{region}")

    def reset(self) -> None:
        """Back to the original healthy topology. For a sandbox, rebuilding from scratch is the honest way."""
        self.down(force=True)
        self.up()

    def _check_region(self, region: str) -> None:
        if region not in self.regions:
            raise SandboxError(f"unknown region {region!r}: the sandbox has {' and '.join(self.regions)}")


def _stop_signal(name: str) -> signal.Signals:
    """How ``down`` stops a component. Its state is deleted right after, so nothing needs flushing:
    the Python processes (moto, ingest API, processor, links; their interpreter teardown takes
    seconds on a loaded machine) are killed outright. PostgreSQL gets SIGINT, its fast shutdown
    (SIGTERM would wait for clients), Valkey SIGTERM: both exit at once and release what they hold."""
    if name.startswith("pg-"):
        return signal.SIGINT
    return signal.SIGTERM if name.startswith("valkey-") else signal.SIGKILL


def _lag_text(sample: lag.ReplicationLag) -> str:
    parts = []
    if sample.time_lag_s is not None:
        parts.append(f"lag {sample.time_lag_s * 1000:.0f} ms")
    if sample.byte_lag is not None:
        parts.append(f"{sample.byte_lag} B")
    if not sample.standby_streaming:
        parts.append("NOT streaming")
    return ", ".join(parts) or "; ".join(sample.not_measured)
