"""One AWS drill's world for tests: Stubber clients for the actions (``aws_world``), the control-plane
state the probes read (``ControlPlane``), the in-memory data plane, and a scratch PostgreSQL standing in
for Aurora's SQL (three databases: the primary writer, the DR writer, the DR reader with
``aurora_global_db_status()``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from contracts.outputs import Side
from drills.clock import Clock
from drills.drill_runner import DrillResult
from drills.scenarios.config import DrillConfig
from drills.targets.aws.aurora_sql import AuroraSql
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.safety import SafetyPolicy
from drills.targets.aws.session import AwsRequest, run_aws_drill
from drills.targets.aws.session_cache import AwsSessionCache
from drills.targets.local.scratch_postgres import PgCluster
from tests.fakes.fake_data_plane import FakeDataPlane
from tests.fakes.manual_clock import ManualClock
from tests.targets.aws.aws_world import (
    ACTIONS,
    SEQUENCES,
    D,
    P,
    S,
    expect_rpo_lag_metric,
    expect_stacks,
    expect_steady,
)
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.control_plane import CacheWorld, ControlPlane
from tests.targets.aws.stubs import StubbedAws
from tests.targets.valkey_pair import ValkeyPair

ALLOWED = {"DrillAllowed": "true", "Environment": S}
#: How often (manual-clock seconds) the test cache's replica acknowledges its offset.
ACK_INTERVAL_S = 0.05


class Doors:
    """The primary writer database closed to new connections (and its sessions ended), as the FIS
    disruption of its subnets does to every client, and opened again."""

    def __init__(self, cluster: PgCluster) -> None:
        self._admin = cluster.dsn()

    def _allow(self, allowed: bool) -> None:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE primary_writer ALLOW_CONNECTIONS {str(allowed).lower()}")
            if not allowed:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = 'primary_writer'")

    def close(self) -> None:
        self._allow(False)

    def open(self) -> None:
        self._allow(True)


@dataclass
class Rig:
    """One drill's world: stubbed AWS, its control-plane state, the data plane, Aurora's SQL."""

    cluster: PgCluster
    reports: Path
    clock: Clock = field(default_factory=ManualClock)
    aws: StubbedAws = field(default_factory=StubbedAws)
    progress: list[str] = field(default_factory=list)
    fail_data: tuple[str, ...] = ()
    cache: ValkeyPair | None = None

    def __post_init__(self) -> None:
        self.data = FakeDataPlane(self.clock, self.reports / "data", (P, D), fail_on=self.fail_data)
        self.cache_world = CacheWorld(self.cache) if self.cache is not None else None
        if self.cache_world is not None:
            self.clock.every(ACK_INTERVAL_S, self.cache_world.acknowledge, "replica acknowledgements")
        self.world = ControlPlane(self.data, Doors(self.cluster), self.cache_world)

    def sql(self) -> AuroraSql:
        return AuroraSql(writers={Side.PRIMARY: self.cluster.dsn("primary_writer"),
                                  Side.DR: self.cluster.dsn("dr_writer")},
                         dr_reader=self.cluster.dsn("dr_reader"), dr_region=D)

    def sessions(self) -> AwsSessionCache | None:
        """The session client on the test's Valkey pair, through the aws target's own class."""
        if self.cache_world is None:
            return None
        return AwsSessionCache(AwsOutputs.load(FIXTURE), self.aws, endpoint=self.cache_world.endpoint)

    def run(self, scenario: str, config: DrillConfig) -> DrillResult:
        request = AwsRequest(FIXTURE, SafetyPolicy(frozenset({S}), confirm=S), self.reports, poll_s=0.0)
        return run_aws_drill(scenario, request, config, self.world.watch(self.aws),
                             lambda outputs, work_dir, clients: self.data, probe_clients=self.world.probes(),
                             sql=self.sql(), progress=self.progress.append, run_id="aws0001",
                             clock=self.clock, sessions=self.sessions())

    def performed(self) -> list[str]:
        return [m.removeprefix("aws: ") for m in self.progress if m.startswith("aws: ")]

    def undone(self) -> list[str]:
        return [m.removeprefix("aws rollback: ") for m in self.progress if m.startswith("aws rollback: ")]


def expect_drill(aws: StubbedAws, scenario: str, failing: int | None = None) -> None:
    """Safety reads, steady state, each action (the ``failing``-th fails), each rollback newest first,
    steady state again; and, for a drill that ran to its end, CloudWatch's lag for the cross-check."""
    expect_stacks(aws, ALLOWED)
    expect_steady(aws)
    sequence = SEQUENCES[scenario]
    ran = sequence if failing is None else sequence[: failing + 1]
    for index, name in enumerate(ran):
        ACTIONS[name].do(aws, fail=index == failing)
    for index, name in reversed(list(enumerate(ran))):
        ACTIONS[name].undo(aws, index != failing)
    expect_steady(aws)
    if failing is None:
        expect_rpo_lag_metric(aws, datetime(2026, 1, 1, tzinfo=UTC), 0.0)


