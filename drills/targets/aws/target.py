"""``AwsTarget``: the target roles on the deployed stacks, so AWS drills run through the same runner,
scenarios, journal and verdict as local ones (``drills.drill_runner.run_drill``).

Every action is a sequence of the catalog's ``AwsAction``s (``role_actions`` says which) run by the
``Executor``, which writes each action's rollback to the rollback state file BEFORE the action
changes anything; the ``Rollback`` handed to the runner undoes the role call's actions newest first.
An action failing part-way raises ``ActionFailed`` carrying the rollback of what it did change.

Roles and how each is done on AWS:
- ``Target`` (``AwsSite``): kind ``aws``, the suffix, the regions of the outputs; health = the
  steady state; ``reset`` = the rollback state file's pending rollbacks.
- ``LoadAndLedger`` / ``EventStore`` and the two stream probes: delegated to the ``DataPlane``
  (the producer signing batches to the regional ingest APIs, its ledger, the regions' Aurora stores,
  Kinesis positions against committed checkpoints). ``repoint`` is also an action of the state file:
  its rollback switches the producer back.
- ``DatabaseReplication``:
  - ``configure``: Aurora global replication is asynchronous, storage-level, and the inter-region
    latency is physical (REFERENCE.md "Aurora PostgreSQL global database"). ``async`` is accepted and
    changes nothing; ``sync`` is refused with one line. The latency asked for is not applied: the
    topology in effect is not readable as a ``TopologySpec`` (no latency figure), so the journal
    notes "not readable" instead of a made-up one. ``AWS_DEFAULTS`` makes a drill with no options
    ``async``.
  - ``writer_alive``: one fresh SQL connection to the region's cluster endpoint (``AuroraSql``): a
    describe call would still show the impaired primary as the available writer.
  - ``replication_lag_s``: ``rpo_lag_in_msec`` of ``aurora_global_db_status()`` on the DR reader.
  - ``replication_streaming``: ``describe_global_clusters``: the DR cluster is a member that is not
    the writer, with ``SynchronizationStatus`` ``connected``
    (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_GlobalClusterMember.html).
  - ``wait_replication_caught_up``: polls the DR side's ``durability_lag_in_msec`` until it reads 0
    (the primary is fenced by then); ``switchover_global_cluster`` itself also waits for full sync.
  - ``promote_writer``: switchover when the writer's region is healthy, failover with
    ``AllowDataLoss=True`` only when THIS drill impaired it (``kill_region``): a probe that fails for
    another reason (the drill host's network path) must never turn a planned switchover into a
    data-losing failover. Then the cache global datastore fails over too (``role_actions``).
  - ``cut_link``: refused (``plans.REFUSED``): nothing can partition Aurora's replication network.
- ``RegionFault.kill_region``: the SIMULATED regional impairment of ``role_actions``.
- ``PipelineProcessors``: ``processor_alive`` = ECS ``describe_services`` with ``runningCount`` at
  least ``desiredCount`` and above 0 (the FIS stop-task template stops ONE task, ``COUNT(1)`` in
  ``cdk_app/constructs/fis_experiments.py``, so "some task runs" would never see the crash; the
  service's shards wait for the replacement); stop/start as in ``role_actions``.
- ``SessionCache``: sessions and offsets delegated to ``AwsSessionCache`` (the sandbox's session
  client on the primary cache's endpoint, TLS and AUTH); ``kill_cache_primary`` = ElastiCache
  ``TestFailover`` of the primary group, ``promote_cache_replica`` = the wait for the automatic failover
  it set off (``role_actions``).
Probes read with ``probe_clients`` (one attempt, short timeouts: the detector polls at 10 Hz and a
probe retried for seconds would delay detection); actions use the adaptive-retry clients.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path

from contracts.outputs import OutputKey, RegionalKey, Side
from drills.clock import SYSTEM_CLOCK, Clock
from drills.integrity.source import Source
from drills.targets.aws import role_actions as roles
from drills.targets.aws.actions import AwsAction
from drills.targets.aws.aurora_sql import AuroraSql
from drills.targets.aws.catalog import REPOINT_HOOK, other
from drills.targets.aws.data_plane_role import DataPlane
from drills.targets.aws.executor import ClientFactory, Executor
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.paths import lookup
from drills.targets.aws.plans import REFUSED, RefusedOnAws
from drills.targets.aws.rollback_state import RollbackState
from drills.targets.aws.session_cache import AwsSessionCache
from drills.targets.aws.site import AwsSite, pid_alive
from drills.targets.values import (
    ActionFailed,
    LoadSpec,
    LoadStats,
    ReplicationMode,
    Rollback,
    SessionWrite,
    TopologySpec,
)

#: Drill parameters whose project-wide default the aws target cannot honour, and the AWS default.
AWS_DEFAULTS: dict[str, object] = {"replication_mode": ReplicationMode.ASYNC.value}
#: Drill parameters AWS sets itself, and why: a drill cannot choose them (``FixedParameters``; the
#: journal records them as None, and ``--set`` of one is refused).
FIXED_ON_AWS: dict[str, str] = {
    "link_latency_ms": "the inter-region latency on AWS is physical, a drill cannot set it: omit it",
}
#: How often ``wait_replication_caught_up`` reads the DR side's lag.
CATCH_UP_POLL_S = 1.0


class UnsupportedOnAws(ValueError):
    """A drill parameter AWS cannot honour; the message names it and the fix in one line."""


SYNC_REFUSED = ("replication_mode sync: Aurora global database replication is asynchronous (storage-level), "
                "the aws target cannot make it synchronous; use replication_mode=async (the aws default)")


class AwsTarget(AwsSite):
    """The roles on the deployment of ``outputs``; load, ledger and stores come from ``data``."""

    def __init__(self, outputs: AwsOutputs, clients: ClientFactory, data: DataPlane, sql: AuroraSql,
                 state: RollbackState, probe_clients: ClientFactory | None = None, poll_s: float = 5.0,
                 progress: Callable[[str], None] = lambda _: None, stop: threading.Event | None = None,
                 clock: Clock = SYSTEM_CLOCK, alive: Callable[[int], bool] = pid_alive,
                 run: tuple[str, str] = ("", ""), sessions: AwsSessionCache | None = None) -> None:
        """``run``: the drill's run id and scenario, written into the rollback state file when the
        first action starts (inside the runner's drill lock, so a refused drill never touches it).
        ``sessions``: the session cache client (default: the primary cache of ``outputs``; it reads
        the cache secret only when a session drill first uses it)."""
        hooks = {REPOINT_HOOK[side]: self._switch_producer(side) for side in Side}
        executor = Executor(clients, state, hooks, poll_s, progress, stop=stop)
        super().__init__(outputs, clients, state, executor, progress, alive)
        self.data, self.sql = data, sql
        self.sessions = sessions or AwsSessionCache(outputs, clients)
        self._probes = probe_clients or clients
        self._stop = stop or threading.Event()
        self._clock = clock
        #: Regions this drill impaired (``kill_region``) and not yet restored.
        self._impaired: set[Side] = set()
        self._run = run
        #: Whether this drill opened the rollback state file (its first action started).
        self.began = False

    def _switch_producer(self, side: Side) -> Callable[[], None]:
        def switch() -> None:
            self.data.repoint(self.outputs.region(side))
        return switch

    def _perform(self, call: str, actions: tuple[AwsAction, ...],
                 undone: Callable[[], None] = lambda: None) -> Rollback:
        """Run ``actions`` in order; one ``Rollback`` undoing those that ran, newest first."""
        if not self.began:
            self.state.begin(*self._run)
            self.began = True
        undos: list[Rollback] = []
        try:
            for action in actions:
                undos.append(self._executor.perform(action))
        except ActionFailed as err:
            if err.rollback is not None:
                undos.append(err.rollback)
            raise ActionFailed(f"{call}: {err}", _together(call, undos, undone) if undos else None) from err
        except Exception as err:  # a read failed before its action changed anything
            raise ActionFailed(f"{call}: {type(err).__name__}: {str(err)[:250]}",
                               _together(call, undos, undone) if undos else None) from err
        return _together(call, undos, undone)

    # ---- LoadAndLedger (data plane) -------------------------------------------------------------
    def start_load(self, load: LoadSpec) -> Rollback:
        return self.data.start_load(load)

    def stop_load(self) -> None:
        self.data.stop_load()

    def load_stats(self) -> LoadStats:
        return self.data.load_stats()

    def ledger_path(self) -> Path | None:
        return self.data.ledger_path()

    def repoint(self, region: str) -> Rollback:
        return self._perform(f"repoint {region}", roles.repoint(self.outputs, self.outputs.side_of(region)))

    # ---- EventStore (data plane) ----------------------------------------------------------------
    def store_count(self, region: str) -> int | None:
        return self.data.store_count(region)

    def newest_stored_keys(self, region: str, since: float, limit: int = 500) -> list[int]:
        return self.data.newest_stored_keys(region, since, limit)

    def snapshot(self, region: str) -> AbstractContextManager[Source]:
        return self.data.snapshot(region)

    def store_dsn(self, region: str) -> str:
        return self.data.store_dsn(region)

    def fixed_parameters(self) -> dict[str, str]:
        return dict(FIXED_ON_AWS)

    # ---- DatabaseReplication --------------------------------------------------------------------
    def configure(self, topology: TopologySpec) -> Rollback:
        if topology.replication_mode is not ReplicationMode.ASYNC:
            raise UnsupportedOnAws(SYNC_REFUSED)
        return Rollback("configure", "nothing to undo: Aurora's asynchronous replication was left as it was",
                        lambda: None)

    def replication_streaming(self) -> bool:
        response = self._probes("rds", self.outputs.region(Side.PRIMARY)).describe_global_clusters(
            GlobalClusterIdentifier=self.outputs.get(OutputKey.GLOBAL_CLUSTER_ID))
        secondary = lookup(response, "GlobalClusters.0.GlobalClusterMembers"
                                     "[IsWriter=false,SynchronizationStatus=connected].DBClusterArn")
        dr_cluster = self.outputs.of(Side.DR, RegionalKey.DB_CLUSTER_ID)
        return isinstance(secondary, str) and secondary.endswith(f":cluster:{dr_cluster}")

    def writer_alive(self, region: str) -> bool:
        return self.sql.writer_alive(self.outputs.side_of(region))

    def replication_lag_s(self) -> float | None:
        return self.sql.rpo_lag_s()

    def wait_replication_caught_up(self, timeout_s: float) -> bool:
        end = self._clock.monotonic() + timeout_s
        while self.sql.durability_lag_s() != 0.0:
            if self._clock.monotonic() > end or self._clock.wait(self._stop, CATCH_UP_POLL_S):
                return False
        return True

    def promote_writer(self, region: str) -> Rollback:
        side = self.outputs.side_of(region)
        planned = other(side) not in self._impaired
        how = "switchover" if planned else "failover with AllowDataLoss"
        return self._perform(f"promote_writer {region} ({how})",
                             roles.promote_writer(self.outputs, side, planned))

    def cut_link(self) -> Rollback:
        raise RefusedOnAws(f"link_partition is refused on the aws target: {REFUSED['link_partition']}")

    # ---- RegionFault ----------------------------------------------------------------------------
    def kill_region(self, region: str) -> Rollback:
        side = self.outputs.side_of(region)
        self._impaired.add(side)
        try:
            return self._perform(f"kill_region {region} (simulated)", roles.kill_region(self.outputs, side),
                                 undone=lambda: self._impaired.discard(side))
        except ActionFailed as err:
            if err.rollback is None:  # nothing was changed: the region is not impaired
                self._impaired.discard(side)
            raise

    # ---- PipelineProcessors ---------------------------------------------------------------------
    def processor_alive(self, region: str) -> bool:
        side = self.outputs.side_of(region)
        response = self._probes("ecs", region).describe_services(
            cluster=self.outputs.of(side, RegionalKey.ECS_CLUSTER_NAME),
            services=[self.outputs.of(side, RegionalKey.PROCESSOR_SERVICE_NAME)])
        desired = lookup(response, "services.0.desiredCount")
        running = lookup(response, "services.0.runningCount")
        return isinstance(desired, int) and isinstance(running, int) and 0 < desired <= running

    def consumer_lag_s(self, region: str) -> float | None:
        return self.data.consumer_lag_s(region)

    def stream_backlog(self, region: str) -> int | None:
        return self.data.stream_backlog(region)

    def stop_processor(self, region: str, graceful: bool) -> Rollback:
        how = "scaled to 0" if graceful else "task stopped by FIS"
        return self._perform(f"stop_processor {region} ({how})",
                             roles.stop_processor(self.outputs, self.outputs.side_of(region), graceful))

    def start_processor(self, region: str) -> Rollback:
        return self._perform(f"start_processor {region}",
                             roles.start_processor(self.outputs, self.outputs.side_of(region)))

    # ---- SessionCache -----------------------------------------------------------------------------
    def cache_replication_offsets(self) -> tuple[int, int] | None:
        return self.sessions.cache_replication_offsets()

    def write_session(self, key: str) -> SessionWrite:
        return self.sessions.write_session(key)

    def session_present(self, keys: Iterable[str]) -> set[str]:
        return self.sessions.session_present(keys)

    def kill_cache_primary(self) -> Rollback:
        return self._perform("kill_cache_primary (TestFailover)", roles.kill_cache_primary(self.outputs))

    def promote_cache_replica(self) -> Rollback:
        return self._perform("promote_cache_replica (automatic failover)",
                             roles.promote_cache_replica(self.outputs))


def _together(call: str, undos: list[Rollback], undone: Callable[[], None]) -> Rollback:
    """One rollback running ``undos`` newest first; every one runs even if another fails."""

    def undo() -> None:
        errors = []
        for rollback in reversed(undos):
            try:
                rollback.undo()
            except Exception as err:  # the others must still run
                errors.append(f"{rollback.action}: {type(err).__name__}: {err}")
        if errors:
            raise RuntimeError("; ".join(errors)[:300])
        undone()

    return Rollback(action=call, description="; ".join(r.description for r in reversed(undos)), undo=undo)

