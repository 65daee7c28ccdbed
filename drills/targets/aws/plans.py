"""Each scenario on AWS as the role calls its scenario module makes, in order, with the AWS actions
each call performs (``role_actions``, the same functions ``AwsTarget`` runs): the dry run prints this.

Role calls that make no AWS change (the topology, the load, the probes the runner polls) are listed
with what they do, so the printout is the whole drill. ``region_outage`` on AWS is a SIMULATED
regional impairment and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contracts.journal import Phase
from contracts.outputs import OutputKey, RegionalKey, Side
from drills.targets.aws import role_actions as r
from drills.targets.aws.actions import AwsAction
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.role_actions import SIMULATED_OUTAGE

#: Scenarios the aws target refuses, with the one-sentence reason.
REFUSED: dict[str, str] = {
    "link_partition": "Aurora global replication travels on AWS's storage network, which no FIS action or "
    "API can cut, so a partition of the inter-region link cannot be injected on AWS "
    "(FIS cross-region route-table disruption only cuts the VPC's own traffic).",
}


@dataclass(frozen=True)
class PlannedCall:
    """One role call of the scenario: its AWS actions (none for a data-plane or probe step, then
    ``what`` says what it does) and the timeline phase the scenario marks after it (None: none)."""

    call: str
    actions: tuple[AwsAction, ...] = ()
    what: str = ""
    marks: Phase | None = None


@dataclass(frozen=True)
class AwsPlan:
    scenario: str
    summary: str
    objective: str
    calls: tuple[PlannedCall, ...]

    @property
    def actions(self) -> list[AwsAction]:
        """Every AWS action the drill performs, in order."""
        return [a for c in self.calls for a in c.actions]

    @property
    def destructive(self) -> bool:
        return any(a.destructive for a in self.actions)


def _warm_up(o: AwsOutputs) -> tuple[PlannedCall, ...]:
    return (
        PlannedCall("configure(async)", what="no AWS call: Aurora global replication is asynchronous "
                    "and its inter-region latency physical; nothing to set"),
        PlannedCall("start_load", what=f"data plane: the producer POSTs SigV4-signed batches to "
                    f"{o.of(Side.PRIMARY, RegionalKey.API_URL)} and records each acknowledgement in its "
                    "ledger", marks=Phase.LOAD_STARTED),
    )


def _drain(o: AwsOutputs, side: Side) -> tuple[PlannedCall, ...]:
    region = o.region(side)
    return (
        PlannedCall("wait_first_ack_readable", what=f"data plane: an event acknowledged after t0 read back "
                    f"from the {region} store", marks=Phase.FIRST_ACK_WRITE_READABLE),
        PlannedCall("finish_load_and_drain", what=f"data plane: load stopped; {region} stream backlog 0 "
                    f"and store count steady, {region} processors alive (ecs.describe_services)",
                    marks=Phase.BACKLOG_DRAINED),
    )


def region_outage(o: AwsOutputs) -> AwsPlan:
    p, d = o.region(Side.PRIMARY), o.region(Side.DR)
    return AwsPlan(
        "region_outage",
        SIMULATED_OUTAGE,
        "loss measured (failover does not wait for replication); rollback waits for the old primary to "
        "rejoin as secondary and switches back",
        (
            *_warm_up(o),
            PlannedCall(f"kill_region({p})", r.kill_region(o, Side.PRIMARY), marks=Phase.FAULT_INJECTED),
            PlannedCall(f"writer_alive({p})", what=f"detection: a fresh SQL connection to "
                        f"{o.of(Side.PRIMARY, RegionalKey.WRITER_ENDPOINT)} every probe_interval_s, down "
                        "after detect_failures failures", marks=Phase.DETECTED),
            PlannedCall(f"promote_writer({d}): failover, the writer's region was impaired",
                        r.promote_writer(o, Side.DR, planned=False), marks=Phase.PROMOTED),
            PlannedCall(f"repoint({d})", r.repoint(o, Side.DR)),
            PlannedCall(f"start_processor({d})", r.start_processor(o, Side.DR), marks=Phase.REPOINTED),
            *_drain(o, Side.DR),
        ),
    )


def planned_switchover(o: AwsOutputs) -> AwsPlan:
    p, d = o.region(Side.PRIMARY), o.region(Side.DR)
    return AwsPlan(
        "planned_switchover",
        f"healthy {p} handed over to {d}",
        "RPO 0 (switchover waits for the secondary to catch up); rollback switches back",
        (
            *_warm_up(o),
            PlannedCall(f"repoint({d})", r.repoint(o, Side.DR), marks=Phase.FAULT_INJECTED),
            PlannedCall(f"primary drained ({p})", what=f"data plane: {p} stream consumed to its end and "
                        "its store steady"),
            PlannedCall(f"stop_processor({p}, graceful)", r.stop_processor(o, Side.PRIMARY, graceful=True)),
            PlannedCall("wait_replication_caught_up", what="sql: aurora_global_db_status() "
                        f"durability_lag_in_msec of {d} reads 0", marks=Phase.DETECTED),
            PlannedCall(f"promote_writer({d}): switchover, the writer is healthy",
                        r.promote_writer(o, Side.DR, planned=True), marks=Phase.PROMOTED),
            PlannedCall(f"start_processor({d})", r.start_processor(o, Side.DR), marks=Phase.REPOINTED),
            *_drain(o, Side.DR),
        ),
    )


def processor_crash(o: AwsOutputs) -> AwsPlan:
    p = o.region(Side.PRIMARY)
    return AwsPlan(
        "processor_crash",
        f"an ECS task of the {p} processor service stopped by FIS; ECS replaces it",
        "no loss: the replacement resumes from the checkpoint committed with the rows",
        (
            *_warm_up(o),
            PlannedCall(f"stop_processor({p}, kill)", r.stop_processor(o, Side.PRIMARY, graceful=False),
                        marks=Phase.FAULT_INJECTED),
            PlannedCall(f"processor_alive({p})", what="detection: ecs.describe_services every "
                        "probe_interval_s, down while runningCount < desiredCount", marks=Phase.DETECTED),
            PlannedCall(f"start_processor({p})", r.start_processor(o, Side.PRIMARY), marks=Phase.PROMOTED),
            *_drain(o, Side.PRIMARY),
        ),
    )


def cache_failover(o: AwsOutputs) -> AwsPlan:
    group = o.of(Side.PRIMARY, RegionalKey.CACHE_REPLICATION_GROUP_ID)
    endpoint = f"{o.of(Side.PRIMARY, RegionalKey.CACHE_ENDPOINT)}:{o.get(OutputKey.CACHE_PORT)}"
    return AwsPlan(
        "cache_failover",
        f"the primary node of the session cache {group} fails over to its replica (ElastiCache "
        "TestFailover); acknowledged sessions read back",
        "sessions acknowledged before the failover are readable after it; rollback fails the primary back",
        (
            PlannedCall("configure(async)", what="no AWS call: Aurora global replication is asynchronous "
                        "and its inter-region latency physical; nothing to set"),
            PlannedCall("write_session (session_rate_per_s, all drill long)", what=f"session client: SET "
                        f"drill:sess-<n> on {endpoint} over TLS with the AUTH token of "
                        f"{o.get(OutputKey.CACHE_SECRET_ARN)!r} (read once, never printed); offsets from "
                        "INFO replication of the primary", marks=Phase.LOAD_STARTED),
            PlannedCall("kill_cache_primary", r.kill_cache_primary(o), marks=Phase.FAULT_INJECTED),
            PlannedCall("write_session failures", what="detection: detect_failures session writes "
                        "unacknowledged after t0", marks=Phase.DETECTED),
            PlannedCall("promote_cache_replica", r.promote_cache_replica(o), marks=Phase.PROMOTED),
            PlannedCall("session_present", what=f"a session acknowledged after t0 read back from {endpoint} "
                        "(the primary endpoint now resolves to the promoted node)",
                        marks=Phase.FIRST_ACK_WRITE_READABLE),
            PlannedCall("session_present (every session)", what="loss: acknowledged sessions missing from "
                        "the promoted primary"),
        ),
    )


PLANS: dict[str, Callable[[AwsOutputs], AwsPlan]] = {
    "cache_failover": cache_failover,
    "region_outage": region_outage,
    "planned_switchover": planned_switchover,
    "processor_crash": processor_crash,
}


class RefusedOnAws(ValueError):
    """The scenario cannot be run honestly on AWS; the message says why in one sentence."""


def plan_for(scenario: str, outputs: AwsOutputs) -> AwsPlan:
    if scenario in REFUSED:
        raise RefusedOnAws(f"{scenario} is refused on the aws target: {REFUSED[scenario]}")
    try:
        return PLANS[scenario](outputs)
    except KeyError:
        known = ", ".join([*PLANS, *REFUSED])
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {known}") from None
