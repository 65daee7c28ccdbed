"""What AWS answers, action by action, for the fixture deployment (response shapes from the API
references of RDS, ElastiCache, ECS, FIS and API Gateway). Each helper queues the calls one action
makes (``do``), or makes when its main call fails (``fail``), and the calls of its rollback (``undo``)
after a success or after that failure. Written from the APIs, independently of the catalog's code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.stacks import STACK_ROLES, stack_name
from tests.targets.aws.stubs import ANY, StubbedAws

P, D, S = "ca-central-1", "ca-west-1", "drill1"
ACCOUNT = "111122223333"
GLOBAL = f"htdr-patients-global-{S}"
DATASTORE = f"ldgnf-htdr-sessions-global-{S}"
CLUSTER = {P: f"htdr-patients-primary-{S}", D: f"htdr-patients-dr-{S}"}
ARN = {r: f"arn:aws:rds:{r}:{ACCOUNT}:cluster:{c}" for r, c in CLUSTER.items()}
CACHE = {P: f"htdr-sessions-primary-{S}", D: f"htdr-sessions-dr-{S}"}
ECS = {"cluster": f"htdr-processing-{S}", "service": f"htdr-processor-{S}"}
API = {P: "a1b2c3d4e5", D: "f6g7h8i9j0"}
TEMPLATES = {"ecs-stop-task": "EXTecs1234567890", "data-subnets-disrupt-connectivity": "EXTnet1234567890"}
ACTIVE, STANDBY = 2, 1


def _global(writer: str, status: str = "available", other_sync: str = "connected") -> dict[str, object]:
    members = [
        {
            "DBClusterArn": ARN[r],
            "IsWriter": r == writer,
            "Readers": [],
            **({} if r == writer else {"SynchronizationStatus": other_sync}),
        }
        for r in (P, D)
    ]
    return {
        "GlobalClusters": [
            {
                "GlobalClusterIdentifier": GLOBAL,
                "Status": status,
                "Engine": "aurora-postgresql",
                "GlobalClusterMembers": members,
            }
        ]
    }


def _db_arns(aws: StubbedAws) -> None:
    for region in (P, D):
        aws.expect(
            "rds",
            region,
            "describe_db_clusters",
            {"DBClusters": [{"DBClusterIdentifier": CLUSTER[region], "DBClusterArn": ARN[region]}]},
            {"DBClusterIdentifier": CLUSTER[region]},
        )


def _writer_waits(aws: StubbedAws, region: str, writer: str, transitional: str) -> None:
    """The writer wait sees the old writer once, then the new; the status wait sees it available."""
    old = P if writer == D else D
    describe = {"GlobalClusterIdentifier": GLOBAL}
    aws.expect("rds", region, "describe_global_clusters", _global(old, transitional), describe)
    aws.expect("rds", region, "describe_global_clusters", _global(writer, transitional), describe)
    aws.expect("rds", region, "describe_global_clusters", _global(writer), describe)


def _writer_to_dr(
    aws: StubbedAws, operation: str, params: dict[str, object], transitional: str, fail: bool
) -> None:
    """``operation`` (switchover/failover) makes the DR cluster the writer, or fails when ``fail``."""
    _db_arns(aws)
    if fail:
        aws.fail("rds", D, operation, "InvalidGlobalClusterStateFault", params)
        return
    aws.expect("rds", D, operation, {"GlobalCluster": {"GlobalClusterIdentifier": GLOBAL}}, params)
    _writer_waits(aws, D, D, transitional)


def db_switchover_do(aws: StubbedAws, fail: bool = False) -> None:
    params: dict[str, object] = {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": ARN[D]}
    _writer_to_dr(aws, "switchover_global_cluster", params, "switching-over", fail)


def db_switch_back(aws: StubbedAws, happened: bool) -> None:
    """Guarded switchover back to the primary: called only when the DR cluster is the writer."""
    describe = {"GlobalClusterIdentifier": GLOBAL}
    aws.expect("rds", P, "describe_global_clusters", _global(D if happened else P), describe)
    if happened:
        aws.expect(
            "rds",
            P,
            "switchover_global_cluster",
            {"GlobalCluster": {"GlobalClusterIdentifier": GLOBAL}},
            {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": ARN[P]},
        )
        _writer_waits(aws, P, P, "switching-over")
    else:
        aws.expect("rds", P, "describe_global_clusters", _global(P), describe)
        aws.expect("rds", P, "describe_global_clusters", _global(P), describe)


def db_failover_do(aws: StubbedAws, fail: bool = False) -> None:
    params = {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": ARN[D], "AllowDataLoss": True}
    _writer_to_dr(aws, "failover_global_cluster", params, "failing-over", fail)


def db_failover_undo(aws: StubbedAws, happened: bool) -> None:
    """The old primary rejoins (pending-resync, then connected), then the switchover back."""
    describe = {"GlobalClusterIdentifier": GLOBAL}
    if happened:
        aws.expect("rds", D, "describe_global_clusters", _global(D, other_sync="pending-resync"), describe)
        aws.expect("rds", D, "describe_global_clusters", _global(D), describe)
    else:
        aws.expect("rds", D, "describe_global_clusters", _global(P), describe)
    db_switch_back(aws, happened)


def _datastore(primary: str, status: str = "available") -> dict[str, object]:
    return {
        "GlobalReplicationGroups": [
            {
                "GlobalReplicationGroupId": DATASTORE,
                "Status": status,
                "Members": [
                    {
                        "ReplicationGroupId": CACHE[r],
                        "ReplicationGroupRegion": r,
                        "Role": "PRIMARY" if r == primary else "SECONDARY",
                        "Status": "associated",
                    }
                    for r in (P, D)
                ],
            }
        ]
    }


def _cache_waits(aws: StubbedAws, region: str, primary: str) -> None:
    describe = {"GlobalReplicationGroupId": DATASTORE, "ShowMemberInfo": True}
    old = P if primary == D else D
    aws.expect(
        "elasticache", region, "describe_global_replication_groups", _datastore(old, "modifying"), describe
    )
    aws.expect(
        "elasticache",
        region,
        "describe_global_replication_groups",
        _datastore(primary, "modifying"),
        describe,
    )
    aws.expect("elasticache", region, "describe_global_replication_groups", _datastore(primary), describe)


def _cache_failover_params(region: str) -> dict[str, str]:
    return {
        "GlobalReplicationGroupId": DATASTORE,
        "PrimaryRegion": region,
        "PrimaryReplicationGroupId": CACHE[region],
    }


def cache_global_do(aws: StubbedAws, fail: bool = False) -> None:
    if fail:
        aws.fail(
            "elasticache",
            D,
            "failover_global_replication_group",
            "InvalidGlobalReplicationGroupState",
            _cache_failover_params(D),
        )
        return
    aws.expect(
        "elasticache",
        D,
        "failover_global_replication_group",
        {"GlobalReplicationGroup": {"GlobalReplicationGroupId": DATASTORE}},
        _cache_failover_params(D),
    )
    _cache_waits(aws, D, D)


def cache_global_undo(aws: StubbedAws, happened: bool) -> None:
    describe = {"GlobalReplicationGroupId": DATASTORE, "ShowMemberInfo": True}
    aws.expect(
        "elasticache", P, "describe_global_replication_groups", _datastore(D if happened else P), describe
    )
    if happened:
        aws.expect(
            "elasticache",
            P,
            "failover_global_replication_group",
            {"GlobalReplicationGroup": {"GlobalReplicationGroupId": DATASTORE}},
            _cache_failover_params(P),
        )
        _cache_waits(aws, P, P)
    else:
        aws.expect("elasticache", P, "describe_global_replication_groups", _datastore(P), describe)
        aws.expect("elasticache", P, "describe_global_replication_groups", _datastore(P), describe)


#: The primary cache group's nodes: the first is its primary before the drill.
CACHE_NODES = (f"{CACHE[P]}-001", f"{CACHE[P]}-002")


def cache_group(primary: str, status: str = "available") -> dict[str, object]:
    """DescribeReplicationGroups of the primary group: cluster mode disabled, one node group, two nodes."""
    members = [{"CacheClusterId": node, "CacheNodeId": "0001",
                "CurrentRole": "primary" if node == primary else "replica",
                "PreferredAvailabilityZone": f"{P}{zone}"}
               for node, zone in zip(CACHE_NODES, "ab", strict=True)]
    return {"ReplicationGroups": [{"ReplicationGroupId": CACHE[P], "Status": status, "ClusterEnabled": False,
                                   "NodeGroups": [{"NodeGroupId": "0001", "Status": status,
                                                   "NodeGroupMembers": members}]}]}


def _describe_group(aws: StubbedAws, primary: str, status: str = "available") -> None:
    aws.expect("elasticache", P, "describe_replication_groups", cache_group(primary, status),
               {"ReplicationGroupId": CACHE[P]})


def _test_failover(aws: StubbedAws, fail: bool = False) -> None:
    params = {"ReplicationGroupId": CACHE[P], "NodeGroupId": "0001"}
    if fail:
        aws.fail("elasticache", P, "test_failover", "TestFailoverNotAvailableFault", params)
        return
    aws.expect("elasticache", P, "test_failover",
               {"ReplicationGroup": {"ReplicationGroupId": CACHE[P], "Status": "modifying"}}, params)


def cache_test_failover_do(aws: StubbedAws, fail: bool = False) -> None:
    """The primary node is read, then ElastiCache accepts the test failover (or refuses it)."""
    _describe_group(aws, CACHE_NODES[0])
    _test_failover(aws, fail)


def cache_test_failover_undo(aws: StubbedAws, happened: bool) -> None:
    """Group available; fail back (a second TestFailover) only when the other node is the primary."""
    now = CACHE_NODES[1] if happened else CACHE_NODES[0]
    _describe_group(aws, now)  # available
    _describe_group(aws, now)  # the guard's check
    if happened:
        _test_failover(aws)
        _describe_group(aws, CACHE_NODES[1], "modifying")
        _describe_group(aws, CACHE_NODES[0], "modifying")
    else:
        _describe_group(aws, CACHE_NODES[0])
    _describe_group(aws, CACHE_NODES[0])


def cache_failover_completed_do(aws: StubbedAws, fail: bool = False) -> None:
    """The old primary still listed, then the replica promoted (the group still modifying)."""
    if fail:
        aws.fail("elasticache", P, "describe_replication_groups", "ReplicationGroupNotFoundFault",
                 {"ReplicationGroupId": CACHE[P]})
        return
    _describe_group(aws, CACHE_NODES[0], "modifying")
    _describe_group(aws, CACHE_NODES[1], "modifying")
    _describe_group(aws, CACHE_NODES[1], "modifying")


def cache_failover_completed_undo(aws: StubbedAws, happened: bool) -> None:
    """Nothing of its own: the test failover's undo fails the primary back."""


def _service(region: str, desired: int, running: int) -> dict[str, object]:
    return {
        "services": [
            {
                "serviceName": ECS["service"],
                "clusterArn": f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{ECS['cluster']}",
                "desiredCount": desired,
                "runningCount": running,
            }
        ]
    }


def _ecs_describe(aws: StubbedAws, region: str, desired: int, running: int) -> None:
    aws.expect(
        "ecs",
        region,
        "describe_services",
        _service(region, desired, running),
        {"cluster": ECS["cluster"], "services": [ECS["service"]]},
    )


def _ecs_scale(aws: StubbedAws, region: str, to: int, start: int, fail: bool = False) -> None:
    params = {**ECS, "desiredCount": to}
    if fail:
        aws.fail("ecs", region, "update_service", "ServerException", params)
        return
    aws.expect(
        "ecs",
        region,
        "update_service",
        {"service": {"serviceName": ECS["service"], "desiredCount": to}},
        params,
    )
    if start != to:
        _ecs_describe(aws, region, to, start)
    _ecs_describe(aws, region, to, to)


def processors_stopped_do(aws: StubbedAws, fail: bool = False) -> None:
    _ecs_describe(aws, P, ACTIVE, ACTIVE)
    _ecs_scale(aws, P, 0, ACTIVE, fail)


def processors_stopped_undo(aws: StubbedAws, happened: bool) -> None:
    _ecs_scale(aws, P, ACTIVE, 0 if happened else ACTIVE)


def primary_restarted_do(aws: StubbedAws, fail: bool = False) -> None:
    """After FIS stopped one task: ECS is asked for the active size and its replacement runs."""
    _ecs_describe(aws, P, ACTIVE, ACTIVE - 1)
    _ecs_scale(aws, P, ACTIVE, ACTIVE - 1, fail)


def primary_restarted_undo(aws: StubbedAws, happened: bool) -> None:
    _ecs_scale(aws, P, ACTIVE, ACTIVE)


def dr_scaled_up_do(aws: StubbedAws, fail: bool = False) -> None:
    _ecs_describe(aws, D, STANDBY, STANDBY)
    _ecs_scale(aws, D, ACTIVE, STANDBY, fail)


def dr_scaled_up_undo(aws: StubbedAws, happened: bool) -> None:
    _ecs_scale(aws, D, STANDBY, ACTIVE if happened else STANDBY)


def _templates(aws: StubbedAws) -> None:
    other_env = {"id": "EXTother000000000", "tags": {"HtdrFault": "ecs-stop-task", "Environment": "staging"}}
    aws.expect(
        "fis",
        P,
        "list_experiment_templates",
        {
            "experimentTemplates": [
                other_env,
                *[
                    {"id": tid, "tags": {"HtdrFault": fault, "Environment": S}}
                    for fault, tid in TEMPLATES.items()
                ],
            ]
        },
        {},
    )


def fis_do(fault: str, until: str) -> Callable[..., None]:
    def do(aws: StubbedAws, fail: bool = False) -> None:
        _templates(aws)
        params = {"experimentTemplateId": TEMPLATES[fault], "clientToken": ANY, "tags": ANY}
        if fail:
            aws.fail("fis", P, "start_experiment", "ServiceQuotaExceededException", params)
            return
        aws.expect(
            "fis",
            P,
            "start_experiment",
            {"experiment": {"id": f"EXP{fault[:3]}", "state": {"status": "initiating"}}},
            params,
        )
        for status in ("initiating", "running", *(["completed"] if until == "completed" else [])):
            aws.expect(
                "fis",
                P,
                "get_experiment",
                {"experiment": {"id": f"EXP{fault[:3]}", "state": {"status": status}}},
                {"id": f"EXP{fault[:3]}"},
            )

    return do


def fis_undo(fault: str, until: str) -> Callable[[StubbedAws, bool], None]:
    def undo(aws: StubbedAws, happened: bool) -> None:
        mine = {
            "id": f"EXP{fault[:3]}",
            "state": {"status": "running" if until == "running" else "completed"},
        }
        old = {"id": "EXPold", "state": {"status": "completed"}}
        listed = [mine, old] if happened else [old]
        aws.expect(
            "fis", P, "list_experiments", {"experiments": listed}, {"experimentTemplateId": TEMPLATES[fault]}
        )
        if happened and until == "running":
            aws.expect("fis", P, "stop_experiment", {"experiment": {"id": mine["id"]}}, {"id": mine["id"]})

    return undo


def _stage(rate: float, burst: int) -> dict[str, object]:
    return {
        "stageName": "v1",
        "methodSettings": {"*/*": {"throttlingRateLimit": rate, "throttlingBurstLimit": burst}},
    }


def _throttle(rate: str, burst: str) -> dict[str, object]:
    return {
        "restApiId": API[P],
        "stageName": "v1",
        "patchOperations": [
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": rate},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": burst},
        ],
    }


def ingest_blocked_do(aws: StubbedAws, fail: bool = False) -> None:
    for _ in range(2):  # rate and burst are read by one get_stage each
        aws.expect(
            "apigateway", P, "get_stage", _stage(5000.0, 10000), {"restApiId": API[P], "stageName": "v1"}
        )
    if fail:
        aws.fail("apigateway", P, "update_stage", "TooManyRequestsException", _throttle("0", "0"))
        return
    aws.expect("apigateway", P, "update_stage", _stage(0.0, 0), _throttle("0", "0"))


def ingest_blocked_undo(aws: StubbedAws, happened: bool) -> None:
    aws.expect("apigateway", P, "update_stage", _stage(5000.0, 10000), _throttle("5000", "10000"))


def local_do(aws: StubbedAws, fail: bool = False) -> None:
    """The producer switch calls no AWS API (the test's hook records it, and fails it when asked)."""


def local_undo(aws: StubbedAws, happened: bool) -> None:
    """Nothing on AWS."""


@dataclass(frozen=True)
class Expected:
    do: Callable[..., None]
    undo: Callable[[StubbedAws, bool], None]


ACTIONS: dict[str, Expected] = {
    "ingest_blocked_primary": Expected(ingest_blocked_do, ingest_blocked_undo),
    "processors_stopped_primary": Expected(processors_stopped_do, processors_stopped_undo),
    "fis_data-subnets-disrupt-connectivity_primary": Expected(
        fis_do("data-subnets-disrupt-connectivity", "running"),
        fis_undo("data-subnets-disrupt-connectivity", "running"),
    ),
    "fis_ecs-stop-task_primary": Expected(
        fis_do("ecs-stop-task", "completed"), fis_undo("ecs-stop-task", "completed")
    ),
    "db_failover_to_dr": Expected(db_failover_do, db_failover_undo),
    "db_switchover_to_dr": Expected(db_switchover_do, db_switch_back),
    "processors_scaled_up_dr": Expected(dr_scaled_up_do, dr_scaled_up_undo),
    "cache_failover_to_dr": Expected(cache_global_do, cache_global_undo),
    "processors_scaled_up_primary": Expected(primary_restarted_do, primary_restarted_undo),
    "producer_repointed_dr": Expected(local_do, local_undo),
    "cache_test_failover_primary": Expected(cache_test_failover_do, cache_test_failover_undo),
    "cache_failover_completed_primary": Expected(cache_failover_completed_do, cache_failover_completed_undo),
}

#: The AWS actions of each scenario, in the order its role calls make them (kill_region: ingest, processors,
#: subnets; promote_writer: database then cache; repoint; start_processor; kill_cache_primary: the test
#: failover; promote_cache_replica: its completion), as the issue specifies them.
SEQUENCES: dict[str, list[str]] = {
    "region_outage": [
        "ingest_blocked_primary",
        "processors_stopped_primary",
        "fis_data-subnets-disrupt-connectivity_primary",
        "db_failover_to_dr",
        "cache_failover_to_dr",
        "producer_repointed_dr",
        "processors_scaled_up_dr",
    ],
    "planned_switchover": [
        "producer_repointed_dr",
        "processors_stopped_primary",
        "db_switchover_to_dr",
        "cache_failover_to_dr",
        "processors_scaled_up_dr",
    ],
    "processor_crash": ["fis_ecs-stop-task_primary", "processors_scaled_up_primary"],
    "cache_failover": ["cache_test_failover_primary", "cache_failover_completed_primary"],
}


def expect_stacks(aws: StubbedAws, tags: dict[str, str]) -> None:
    """The safety reads: every stack of the deployment described, in its region, with ``tags``."""
    for role, primary in STACK_ROLES:
        name = stack_name(S, role)
        aws.expect(
            "cloudformation",
            P if primary else D,
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": name,
                        "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
                        "StackStatus": "CREATE_COMPLETE",
                        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                    }
                ]
            },
            {"StackName": name},
        )


def expect_rpo_lag_metric(aws: StubbedAws, at: datetime, lag_ms: float) -> None:
    """CloudWatch's AuroraGlobalDBRPOLag of the DR cluster for the cross-check: one datapoint."""
    aws.expect(
        "cloudwatch",
        D,
        "get_metric_data",
        {"MetricDataResults": [
            {"Id": "m", "Timestamps": [at], "Values": [lag_ms], "StatusCode": "Complete"}]},
    )


def expect_steady(aws: StubbedAws, processors_running_primary: int = ACTIVE) -> None:
    """The reads of one steady-state check (primary writes, cache primary, processors, ingest stages)."""
    aws.expect("rds", P, "describe_global_clusters", _global(P), {"GlobalClusterIdentifier": GLOBAL})
    aws.expect(
        "elasticache",
        P,
        "describe_global_replication_groups",
        _datastore(P),
        {"GlobalReplicationGroupId": DATASTORE, "ShowMemberInfo": True},
    )
    _ecs_describe(aws, P, ACTIVE, processors_running_primary)
    _ecs_describe(aws, D, STANDBY, STANDBY)
    for region in (P, D):
        aws.expect(
            "apigateway",
            region,
            "get_stage",
            _stage(5000.0, 10000),
            {"restApiId": API[region], "stageName": "v1"},
        )
