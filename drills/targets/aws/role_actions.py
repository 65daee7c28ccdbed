"""Each role call of the aws target as the AWS actions it performs, in order (``catalog`` builds them).

``AwsTarget`` performs exactly these, and the dry run prints exactly these, so the printed plan is
what the roles do:
- ``kill_region``: a SIMULATED regional impairment (``SIMULATED_OUTAGE``): the region's ingest stage
  throttled to 0, its processors scaled to 0, then its data subnets disrupted by the deployment's
  FIS template (the fault's instant). AWS has no API that takes a region down, and no FIS action
  stops Aurora's storage-level replication (REFERENCE.md "Fault injection on AWS").
- ``promote_writer``: the Aurora global database moved to the region (``switchover_global_cluster``
  when planned, ``failover_global_cluster(AllowDataLoss=True)`` when the writer's region was
  impaired), then the cache global datastore failed over to the same region, so the region that
  now writes also holds the writable session cache (the runbook moves both, DESIGN §3); each waits
  until the new primary is available.
- ``repoint``: the producer's endpoint switch (client-side: the outputs name no Route 53 record).
- ``stop_processor``: graceful = the ECS service scaled to 0 (ECS sends SIGTERM and waits the stop
  timeout: the batch in hand is finished); not graceful = the deployment's FIS ``aws:ecs:stop-task``
  experiment (one task stopped abruptly, as a crash).
- ``start_processor``: the ECS service scaled to the primary's active size, read before the drill
  changed it; after a crash this waits for ECS's replacement task.
- ``kill_cache_primary``: ElastiCache ``TestFailover`` on the primary region's replication group
  (node group ``0001``): its primary node fails, as in an AZ or node failure; the call returns as the
  failure starts, so the session writer's failed writes detect it.
- ``promote_cache_replica``: what ``TestFailover`` already does, ElastiCache's automatic failover to
  the replica: no call, a wait until another node is the primary.
"""

from __future__ import annotations

from contracts.drill_safety import FisFault
from contracts.outputs import Side
from drills.targets.aws import catalog as c
from drills.targets.aws.actions import AwsAction
from drills.targets.aws.outputs import AwsOutputs

SIMULATED_OUTAGE = (
    "SIMULATED regional impairment: AWS cannot take a region down, so the primary's ingest "
    "is blocked, its processors stopped and its data subnets disrupted by FIS; Aurora's "
    "storage-level replication keeps running until the failover"
)


def kill_region(o: AwsOutputs, side: Side) -> tuple[AwsAction, ...]:
    return (
        c.ingest_blocked(o, side),
        c.processors_stopped(o, side),
        c.fis_experiment(o, side, FisFault.DATA_SUBNETS_DISRUPT, "running",
                         f"disrupt connectivity of the {side.value.lower()} data subnets", destructive=True),
    )


def promote_writer(o: AwsOutputs, to: Side, planned: bool) -> tuple[AwsAction, ...]:
    database = c.db_switchover(o, to) if planned else c.db_failover(o, to)
    return database, c.cache_global_failover(o, to)


def repoint(o: AwsOutputs, to: Side) -> tuple[AwsAction, ...]:
    return (c.producer_repointed(o, to),)


def stop_processor(o: AwsOutputs, side: Side, graceful: bool) -> tuple[AwsAction, ...]:
    if graceful:
        return (c.processors_stopped(o, side),)
    return (c.fis_experiment(o, side, FisFault.ECS_STOP_TASK, "completed",
                             f"aws:ecs:stop-task on the {side.value.lower()} processor service"),)


def kill_cache_primary(o: AwsOutputs) -> tuple[AwsAction, ...]:
    return (c.cache_test_failover(o, Side.PRIMARY),)


def promote_cache_replica(o: AwsOutputs) -> tuple[AwsAction, ...]:
    return (c.cache_failover_completed(o, Side.PRIMARY),)


def start_processor(o: AwsOutputs, side: Side) -> tuple[AwsAction, ...]:
    return (c.processors_scaled_up(o, side, c.desired_before(o, Side.PRIMARY)),)
