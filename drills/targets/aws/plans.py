"""Each scenario as the AWS actions it takes, in order (the dry-run prints this; the executor runs it).

``region_outage`` on AWS is a SIMULATED regional impairment, and says so in the journal: AWS offers no
way to take a region down, so the drill blocks the primary's ingest, stops its processors, disrupts
its data subnets with FIS and then fails the global database over with ``AllowDataLoss=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contracts.drill_safety import FisFault
from contracts.journal import Phase
from contracts.outputs import Side
from drills.targets.aws import catalog as c
from drills.targets.aws.actions import AwsAction
from drills.targets.aws.outputs import AwsOutputs

SIMULATED_OUTAGE = (
    "SIMULATED regional impairment: AWS cannot take a region down, so the primary's ingest "
    "is blocked, its processors stopped and its data subnets disrupted by FIS; Aurora's "
    "storage-level replication keeps running until the failover"
)

#: Scenarios the aws target refuses, with the one-sentence reason.
REFUSED: dict[str, str] = {
    "link_partition": "Aurora global replication travels on AWS's storage network, which no FIS action or "
    "API can cut, so a partition of the inter-region link cannot be injected on AWS "
    "(FIS cross-region route-table disruption only cuts the VPC's own traffic).",
}


@dataclass(frozen=True)
class PlannedAction:
    """One action of a plan and the timeline phase its completion marks (None: none)."""

    action: AwsAction
    marks: Phase | None = None


@dataclass(frozen=True)
class AwsPlan:
    scenario: str
    summary: str
    objective: str
    actions: tuple[PlannedAction, ...]

    @property
    def destructive(self) -> bool:
        return any(p.action.destructive for p in self.actions)


def planned_switchover(o: AwsOutputs) -> AwsPlan:
    return AwsPlan(
        "planned_switchover",
        f"healthy {o.region(Side.PRIMARY)} handed over to {o.region(Side.DR)}",
        "RPO 0 (switchover waits for the secondary to catch up); rollback switches back",
        (
            PlannedAction(c.producer_repointed(o, Side.DR), Phase.FAULT_INJECTED),
            PlannedAction(c.processors_stopped(o, Side.PRIMARY), Phase.DETECTED),
            PlannedAction(c.db_switchover(o, Side.DR), Phase.PROMOTED),
            PlannedAction(c.cache_global_failover(o, Side.DR)),
            PlannedAction(
                c.processors_scaled_up(o, Side.DR, c.desired_before(o, Side.PRIMARY)), Phase.REPOINTED
            ),
        ),
    )


def region_outage(o: AwsOutputs) -> AwsPlan:
    return AwsPlan(
        "region_outage",
        SIMULATED_OUTAGE,
        "loss measured (failover does not wait for replication); rollback waits for the old primary to "
        "rejoin as secondary and switches back",
        (
            PlannedAction(c.ingest_blocked(o, Side.PRIMARY)),
            PlannedAction(c.processors_stopped(o, Side.PRIMARY)),
            PlannedAction(
                c.fis_experiment(
                    o,
                    Side.PRIMARY,
                    FisFault.DATA_SUBNETS_DISRUPT,
                    "running",
                    "disrupt connectivity of the primary data subnets",
                    destructive=True,
                ),
                Phase.FAULT_INJECTED,
            ),
            PlannedAction(c.db_failover(o, Side.DR), Phase.PROMOTED),
            PlannedAction(c.processors_scaled_up(o, Side.DR, c.desired_before(o, Side.PRIMARY))),
            PlannedAction(c.cache_global_failover(o, Side.DR)),
            PlannedAction(c.producer_repointed(o, Side.DR), Phase.REPOINTED),
        ),
    )


def processor_crash(o: AwsOutputs) -> AwsPlan:
    return AwsPlan(
        "processor_crash",
        f"an ECS task of the {o.region(Side.PRIMARY)} processor service stopped by FIS; ECS replaces it",
        "no loss: the replacement resumes from the checkpoint committed with the rows",
        (
            PlannedAction(
                c.fis_experiment(
                    o,
                    Side.PRIMARY,
                    FisFault.ECS_STOP_TASK,
                    "completed",
                    "aws:ecs:stop-task on the primary processor service",
                ),
                Phase.FAULT_INJECTED,
            ),
        ),
    )


def cache_failover(o: AwsOutputs) -> AwsPlan:
    return AwsPlan(
        "cache_failover",
        f"the session cache primary node in {o.region(Side.PRIMARY)} fails; a replica takes over",
        "session loss measured from the synthetic session writes",
        (PlannedAction(c.cache_test_failover(o, Side.PRIMARY), Phase.FAULT_INJECTED),),
    )


PLANS: dict[str, Callable[[AwsOutputs], AwsPlan]] = {
    "region_outage": region_outage,
    "planned_switchover": planned_switchover,
    "processor_crash": processor_crash,
    "cache_failover": cache_failover,
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
