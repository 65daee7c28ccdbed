"""The AWS actions drills use, built from the deployment's outputs (each with its rollback).

Every constraint relied on is cited next to the action:
- Aurora global database: ``SwitchoverGlobalCluster`` (waits for the secondary to catch up: RPO 0) and
  ``FailoverGlobalCluster(AllowDataLoss=True)`` (does not wait; the old primary rejoins as a secondary
  once reachable), https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
  (REFERENCE.md "Aurora PostgreSQL global database"). No FIS action fails over a global database.
- ElastiCache global datastore: ``FailoverGlobalReplicationGroup(GlobalReplicationGroupId,
  PrimaryRegion, PrimaryReplicationGroupId)``, https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Console.html
- ElastiCache ``TestFailover(ReplicationGroupId, NodeGroupId)`` fails a node group's primary over to
  its replica, as an AZ or node failure would (automatic failover, Multi-AZ); at most 15 node groups in
  any rolling 24-hour period, and AWS may block it during large-scale events,
  https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_TestFailover.html. A cluster-mode
  disabled group has one node group, ``0001``, and its members carry ``CurrentRole`` (primary/replica),
  https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_NodeGroupMember.html
- API Gateway stage throttling at 0 requests/s and burst 0 rejects every request with 429,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
- FIS experiments stopped with ``StopExperiment`` undo what their actions changed (the network ACL of
  ``aws:network:disrupt-connectivity``), https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
"""

from __future__ import annotations

from contracts.drill_safety import ENVIRONMENT_TAG, FIS_FAULT_TAG
from contracts.outputs import OutputKey, RegionalKey, Side
from drills.targets.aws.actions import AwsAction
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.steps import Call, Capture, Guarded, Local, Ref, RunExperiment, StopExperiments, Wait

#: Local hooks: the producer's endpoint switch (the client-side equivalent of a DNS switch).
REPOINT_HOOK = {Side.PRIMARY: "repoint_producer_primary", Side.DR: "repoint_producer_dr"}
#: How long a global-cluster or global-datastore change may take before the drill gives up on it.
GLOBAL_CHANGE_TIMEOUT_S = 1800.0
#: How long ECS or a cache replication group may take to reach the state asked for.
REGIONAL_CHANGE_TIMEOUT_S = 600.0


def other(side: Side) -> Side:
    return Side.DR if side is Side.PRIMARY else Side.PRIMARY


def _cluster_arn(o: AwsOutputs, side: Side) -> Capture:
    cluster = o.of(side, RegionalKey.DB_CLUSTER_ID)
    return Capture(
        f"{side.value.lower()}_cluster_arn",
        Call("rds", o.region(side), "describe_db_clusters", {"DBClusterIdentifier": cluster}),
        "DBClusters.0.DBClusterArn",
        f"ARN of DB cluster {cluster}",
    )


def _global_writer(o: AwsOutputs, region: str, expected: Ref, what: str) -> tuple[Wait, Wait]:
    describe = Call(
        "rds",
        region,
        "describe_global_clusters",
        {"GlobalClusterIdentifier": o.get(OutputKey.GLOBAL_CLUSTER_ID)},
    )
    return (
        Wait(
            describe,
            "GlobalClusters.0.GlobalClusterMembers[IsWriter=true].DBClusterArn",
            expected,
            f"{what}: writer is {expected.how}",
            GLOBAL_CHANGE_TIMEOUT_S,
        ),
        Wait(
            describe,
            "GlobalClusters.0.Status",
            "available",
            f"{what}: global cluster available",
            GLOBAL_CHANGE_TIMEOUT_S,
        ),
    )


def _switchover(o: AwsOutputs, to: Ref, region: str) -> Call:
    return Call(
        "rds",
        region,
        "switchover_global_cluster",
        {"GlobalClusterIdentifier": o.get(OutputKey.GLOBAL_CLUSTER_ID), "TargetDbClusterIdentifier": to},
    )


def _switch_back(o: AwsOutputs, back: Ref, region: str) -> Guarded:
    return Guarded(
        _switchover(o, back, region),
        Call(
            "rds",
            region,
            "describe_global_clusters",
            {"GlobalClusterIdentifier": o.get(OutputKey.GLOBAL_CLUSTER_ID)},
        ),
        "GlobalClusters.0.GlobalClusterMembers[IsWriter=true].DBClusterArn",
        back,
        f"only if the writer is not already {back.how}",
    )


def db_switchover(o: AwsOutputs, to: Side) -> AwsAction:
    """Planned: the secondary catches up, then becomes the writer (RPO 0); undo switches back."""
    src, dst = _cluster_arn(o, other(to)), _cluster_arn(o, to)
    region, back_region = o.region(to), o.region(other(to))
    return AwsAction(
        name=f"db_switchover_to_{to.value.lower()}",
        description=f"Aurora global database switchover to {o.region(to)} (waits for sync: RPO 0)",
        reads=(src, dst),
        steps=(_switchover(o, dst.ref, region), *_global_writer(o, region, dst.ref, "switchover")),
        rollback=(
            _switch_back(o, src.ref, back_region),
            *_global_writer(o, back_region, src.ref, "switch back"),
        ),
        undo=f"switch the Aurora global database back to {o.region(other(to))}",
        destructive=True,
    )


def db_failover(o: AwsOutputs, to: Side) -> AwsAction:
    """Unplanned: promote the secondary without waiting (loses up to the lag); undo waits for the old
    primary to rejoin as a connected secondary, then switches back (RPO 0 on the way back)."""
    src, dst = _cluster_arn(o, other(to)), _cluster_arn(o, to)
    region, back_region = o.region(to), o.region(other(to))
    describe = Call(
        "rds",
        region,
        "describe_global_clusters",
        {"GlobalClusterIdentifier": o.get(OutputKey.GLOBAL_CLUSTER_ID)},
    )
    rejoined = Wait(
        describe,
        "GlobalClusters.0.GlobalClusterMembers[IsWriter=false,SynchronizationStatus=connected].DBClusterArn",
        src.ref,
        f"old primary {src.ref.how} rejoined as a connected secondary",
        GLOBAL_CHANGE_TIMEOUT_S,
        or_path="GlobalClusters.0.GlobalClusterMembers[IsWriter=true].DBClusterArn",
        or_expected=src.ref,
    )
    return AwsAction(
        name=f"db_failover_to_{to.value.lower()}",
        description=f"Aurora global database failover to {o.region(to)} with AllowDataLoss=True "
        "(does not wait for replication: loses up to the lag)",
        reads=(src, dst),
        steps=(
            Call(
                "rds",
                region,
                "failover_global_cluster",
                {
                    "GlobalClusterIdentifier": o.get(OutputKey.GLOBAL_CLUSTER_ID),
                    "TargetDbClusterIdentifier": dst.ref,
                    "AllowDataLoss": True,
                },
            ),
            *_global_writer(o, region, dst.ref, "failover"),
        ),
        rollback=(
            rejoined,
            _switch_back(o, src.ref, back_region),
            *_global_writer(o, back_region, src.ref, "switch back"),
        ),
        undo=f"wait for {o.region(other(to))} to rejoin as secondary, then switch the writer back to it",
        destructive=True,
    )


def _cache_failover_call(o: AwsOutputs, to: Side) -> Call:
    return Call(
        "elasticache",
        o.region(to),
        "failover_global_replication_group",
        {
            "GlobalReplicationGroupId": o.get(OutputKey.GLOBAL_DATASTORE_ID),
            "PrimaryRegion": o.region(to),
            "PrimaryReplicationGroupId": o.of(to, RegionalKey.CACHE_REPLICATION_GROUP_ID),
        },
    )


def _cache_primary(o: AwsOutputs, to: Side, what: str) -> tuple[Wait, Wait]:
    describe = Call(
        "elasticache",
        o.region(to),
        "describe_global_replication_groups",
        {"GlobalReplicationGroupId": o.get(OutputKey.GLOBAL_DATASTORE_ID), "ShowMemberInfo": True},
    )
    group = o.of(to, RegionalKey.CACHE_REPLICATION_GROUP_ID)
    return (
        Wait(
            describe,
            "GlobalReplicationGroups.0.Members[Role=PRIMARY].ReplicationGroupId",
            group,
            f"{what}: {group} is the primary",
            GLOBAL_CHANGE_TIMEOUT_S,
        ),
        Wait(
            describe,
            "GlobalReplicationGroups.0.Status",
            "available",
            f"{what}: datastore available",
            GLOBAL_CHANGE_TIMEOUT_S,
        ),
    )


def cache_global_failover(o: AwsOutputs, to: Side) -> AwsAction:
    back = other(to)
    back_group = o.of(back, RegionalKey.CACHE_REPLICATION_GROUP_ID)
    check = Call(
        "elasticache",
        o.region(back),
        "describe_global_replication_groups",
        {"GlobalReplicationGroupId": o.get(OutputKey.GLOBAL_DATASTORE_ID), "ShowMemberInfo": True},
    )
    return AwsAction(
        name=f"cache_failover_to_{to.value.lower()}",
        description=f"ElastiCache global datastore: make {o.region(to)} the primary",
        steps=(_cache_failover_call(o, to), *_cache_primary(o, to, "cache failover")),
        rollback=(
            Guarded(
                _cache_failover_call(o, back),
                check,
                "GlobalReplicationGroups.0.Members[Role=PRIMARY].ReplicationGroupId",
                back_group,
                f"only if {back_group} is not already the primary",
            ),
            *_cache_primary(o, back, "cache failover back"),
        ),
        undo=f"fail the cache global datastore back to {o.region(back)}",
        destructive=True,
    )


#: The node group of a cluster-mode disabled replication group (the session cache has one).
CACHE_NODE_GROUP = "0001"
_CACHE_PRIMARY_NODE = "ReplicationGroups.0.NodeGroups.0.NodeGroupMembers[CurrentRole=primary].CacheClusterId"
_CACHE_PRIMARY_ROLE = "ReplicationGroups.0.NodeGroups.0.NodeGroupMembers[CurrentRole=primary].CurrentRole"


def _cache_group(o: AwsOutputs, side: Side) -> Call:
    group = o.of(side, RegionalKey.CACHE_REPLICATION_GROUP_ID)
    return Call("elasticache", o.region(side), "describe_replication_groups", {"ReplicationGroupId": group})


def _cache_primary_node(o: AwsOutputs, side: Side) -> Capture:
    return Capture(
        f"{side.value.lower()}_cache_primary_node",
        _cache_group(o, side),
        _CACHE_PRIMARY_NODE,
        f"primary node of {o.of(side, RegionalKey.CACHE_REPLICATION_GROUP_ID)} before the drill",
    )


def _test_failover(o: AwsOutputs, side: Side) -> Call:
    group = o.of(side, RegionalKey.CACHE_REPLICATION_GROUP_ID)
    return Call("elasticache", o.region(side), "test_failover",
                {"ReplicationGroupId": group, "NodeGroupId": CACHE_NODE_GROUP})


def _cache_group_available(o: AwsOutputs, side: Side, what: str) -> Wait:
    return Wait(_cache_group(o, side), "ReplicationGroups.0.Status", "available", f"{what}: group available",
                REGIONAL_CHANGE_TIMEOUT_S)


def cache_test_failover(o: AwsOutputs, side: Side) -> AwsAction:
    """The cache primary fails: ``TestFailover`` on the group's node group. Its steps return once
    ElastiCache accepted the call (the failure is under way): the session writer sees it fail, as
    the sandbox's writer sees a killed primary. The undo waits for the group to settle, then fails
    back (another ``TestFailover``) only if the primary node is not the one read before, so the
    group is left with the primary it had, in its AZ."""
    before = _cache_primary_node(o, side)
    group = o.of(side, RegionalKey.CACHE_REPLICATION_GROUP_ID)
    return AwsAction(
        name=f"cache_test_failover_{side.value.lower()}",
        description=f"ElastiCache ({o.region(side)}): TestFailover of {group} node group {CACHE_NODE_GROUP} "
        "(its primary node fails over to its replica)",
        reads=(before,),
        steps=(_test_failover(o, side),),
        rollback=(
            _cache_group_available(o, side, "test failover over"),
            Guarded(_test_failover(o, side), _cache_group(o, side), _CACHE_PRIMARY_NODE, before.ref,
                    f"only if the primary node is not {before.ref.how}"),
            Wait(_cache_group(o, side), _CACHE_PRIMARY_NODE, before.ref,
                 f"fail back: primary node is {before.ref.how}", REGIONAL_CHANGE_TIMEOUT_S),
            _cache_group_available(o, side, "fail back"),
        ),
        undo=f"wait for {group} to be available, then fail its primary back to the node it had",
        destructive=True,
    )


def cache_failover_completed(o: AwsOutputs, side: Side) -> AwsAction:
    """The replica's promotion is what ``TestFailover`` set off: nothing to call, this waits until the
    primary node is no longer the one read before, then until a node is the primary (a describe in
    between may list none); the primary endpoint then resolves to the promoted node. It does not wait
    for the group to be ``available``: that also waits for the failed node's recovery as a replica,
    which the drill's recovery budget must not include (the undo waits for it). Its undo is
    ``cache_test_failover``'s fail-back."""
    before = _cache_primary_node(o, side).ref
    group = o.of(side, RegionalKey.CACHE_REPLICATION_GROUP_ID)
    return AwsAction(
        name=f"cache_failover_completed_{side.value.lower()}",
        description=f"ElastiCache ({o.region(side)}): {group} promoted its replica (TestFailover's "
        "automatic failover; no call)",
        steps=(
            Wait(_cache_group(o, side), _CACHE_PRIMARY_NODE, before, f"the primary node is no longer "
                 f"{before.how}", REGIONAL_CHANGE_TIMEOUT_S, negate=True),
            Wait(_cache_group(o, side), _CACHE_PRIMARY_ROLE, "primary", "a node is the primary",
                 REGIONAL_CHANGE_TIMEOUT_S),
        ),
        rollback=(),
        undo="nothing of its own: the test failover's undo fails the primary back",
    )


def _service(o: AwsOutputs, side: Side) -> dict[str, str]:
    return {
        "cluster": o.of(side, RegionalKey.ECS_CLUSTER_NAME),
        "service": o.of(side, RegionalKey.PROCESSOR_SERVICE_NAME),
    }


def desired_before(o: AwsOutputs, side: Side) -> Ref:
    """The desired count of ``side``'s processors as read before the drill stopped them."""
    return _desired(o, side).ref


def _desired(o: AwsOutputs, side: Side) -> Capture:
    svc = _service(o, side)
    return Capture(
        f"{side.value.lower()}_desired_before",
        Call(
            "ecs",
            o.region(side),
            "describe_services",
            {"cluster": svc["cluster"], "services": [svc["service"]]},
        ),
        "services.0.desiredCount",
        f"desired count of {svc['service']} in {o.region(side)} before the drill",
    )


def _scale(o: AwsOutputs, side: Side, count: int | Ref) -> tuple[Call, Wait]:
    svc = _service(o, side)
    describe = Call(
        "ecs", o.region(side), "describe_services", {"cluster": svc["cluster"], "services": [svc["service"]]}
    )
    return (
        Call("ecs", o.region(side), "update_service", {**svc, "desiredCount": count}),
        Wait(
            describe,
            "services.0.runningCount",
            count,
            f"{svc['service']} running {_shown(count)} tasks",
            REGIONAL_CHANGE_TIMEOUT_S,
        ),
    )


def processors_stopped(o: AwsOutputs, side: Side) -> AwsAction:
    before = _desired(o, side)
    return AwsAction(
        name=f"processors_stopped_{side.value.lower()}",
        description=f"ECS: {o.of(side, RegionalKey.PROCESSOR_SERVICE_NAME)} in {o.region(side)} scaled to 0",
        reads=(before,),
        steps=_scale(o, side, 0),
        rollback=_scale(o, side, before.ref),
        undo=f"restore the desired count of the {o.region(side)} processors",
    )


def processors_scaled_up(o: AwsOutputs, side: Side, size: Ref) -> AwsAction:
    """Scale ``side``'s processors to ``size`` (read by an earlier action: the primary's active size)."""
    before = _desired(o, side)
    return AwsAction(
        name=f"processors_scaled_up_{side.value.lower()}",
        description=f"ECS: {o.of(side, RegionalKey.PROCESSOR_SERVICE_NAME)} in {o.region(side)} scaled to "
        f"<{size.how}>",
        reads=(before,),
        steps=_scale(o, side, size),
        rollback=_scale(o, side, before.ref),
        undo=f"scale the {o.region(side)} processors back to their standby size",
    )


def ingest_blocked(o: AwsOutputs, side: Side) -> AwsAction:
    api = o.rest_api(side)
    region = o.region(side)
    get = Call("apigateway", region, "get_stage", {"restApiId": api.api_id, "stageName": api.stage})
    rate = Capture(
        "ingest_rate_before",
        get,
        "methodSettings.*/*.throttlingRateLimit",
        f"stage {api.stage} throttling rate now",
        text=True,
    )
    burst = Capture(
        "ingest_burst_before",
        get,
        "methodSettings.*/*.throttlingBurstLimit",
        f"stage {api.stage} throttling burst now",
        text=True,
    )

    def throttle(rate_value: str | Ref, burst_value: str | Ref) -> Call:
        return Call(
            "apigateway",
            region,
            "update_stage",
            {
                "restApiId": api.api_id,
                "stageName": api.stage,
                "patchOperations": [
                    {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": rate_value},
                    {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": burst_value},
                ],
            },
        )

    return AwsAction(
        name=f"ingest_blocked_{side.value.lower()}",
        description=f"API Gateway: ingest stage {api.stage} in {region} throttled to 0 (every POST gets 429)",
        reads=(rate, burst),
        steps=(throttle("0", "0"),),
        rollback=(throttle(rate.ref, burst.ref),),
        undo=f"restore the ingest stage throttling in {region}",
    )


def _template(o: AwsOutputs, side: Side, fault: str) -> Capture:
    return Capture(
        f"fis_template_{fault}",
        Call("fis", o.region(side), "list_experiment_templates", {}),
        f"experimentTemplates[tags.{FIS_FAULT_TAG}={fault},tags.{ENVIRONMENT_TAG}={o.suffix}].id",
        f"FIS template tagged {FIS_FAULT_TAG}={fault}, {ENVIRONMENT_TAG}={o.suffix}",
    )


def fis_experiment(
    o: AwsOutputs, side: Side, fault: str, until: str, description: str, destructive: bool = False
) -> AwsAction:
    """Run the deployment's FIS template for ``fault`` in ``side``'s region; undo stops it."""
    template, region = _template(o, side, fault), o.region(side)
    return AwsAction(
        name=f"fis_{fault}_{side.value.lower()}",
        description=f"FIS ({region}): {description}",
        reads=(template,),
        steps=(RunExperiment(region, template.ref, until, description),),
        rollback=(StopExperiments(region, template.ref, f"stop running {fault} experiments"),),
        undo=f"stop every running {fault} experiment in {region} (FIS restores what it changed)",
        destructive=destructive,
    )


def producer_repointed(o: AwsOutputs, to: Side) -> AwsAction:
    return AwsAction(
        name=f"producer_repointed_{to.value.lower()}",
        description=f"producer endpoint switched to {o.of(to, RegionalKey.API_URL)} (client-side: the "
        "outputs name no Route 53 record)",
        steps=(Local(REPOINT_HOOK[to], f"POST batches to the {o.region(to)} ingest API"),),
        rollback=(Local(REPOINT_HOOK[other(to)], f"POST batches to the {o.region(other(to))} ingest API"),),
        undo=f"switch the producer back to the {o.region(other(to))} ingest API",
    )


def _shown(value: int | Ref) -> str:
    return f"<{value.how}>" if isinstance(value, Ref) else str(value)
