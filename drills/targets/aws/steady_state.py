"""The deployment's steady state, read before the first action and again after the rollbacks.

A drill must leave the target as it found it: the primary cluster writes and the global cluster is
available, the primary cache group is the datastore's primary, each region's processors run their
desired count, and each region's ingest stage is not throttled to 0. Reads only; a component whose
read fails is unhealthy with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.journal import ComponentState
from contracts.outputs import OutputKey, RegionalKey, Side
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.paths import lookup


class NotSteady(ValueError):
    """The deployment is not in its steady state: the drill is refused before any change."""


def steady_state(outputs: AwsOutputs, clients: ClientFactory) -> list[ComponentState]:
    checks: list[tuple[str, Callable[[], tuple[bool, str]]]] = [
        ("aurora global database", lambda: _database(outputs, clients)),
        ("cache global datastore", lambda: _cache(outputs, clients)),
        *[
            (f"processors {outputs.region(side)}", _bind(_processors, outputs, clients, side))
            for side in Side
        ],
        *[(f"ingest {outputs.region(side)}", _bind(_ingest, outputs, clients, side)) for side in Side],
    ]
    return [_component(name, check) for name, check in checks]


def _bind(
    check: Callable[[AwsOutputs, ClientFactory, Side], tuple[bool, str]],
    outputs: AwsOutputs,
    clients: ClientFactory,
    side: Side,
) -> Callable[[], tuple[bool, str]]:
    return lambda: check(outputs, clients, side)


def _component(name: str, check: Callable[[], tuple[bool, str]]) -> ComponentState:
    try:
        ok, detail = check()
    except Exception as err:  # an unreadable component is unhealthy, with the reason
        ok, detail = False, f"not readable ({type(err).__name__})"
    return ComponentState(name=name, ok=ok, detail=detail)


def _database(outputs: AwsOutputs, clients: ClientFactory) -> tuple[bool, str]:
    response = clients("rds", outputs.region(Side.PRIMARY)).describe_global_clusters(
        GlobalClusterIdentifier=outputs.get(OutputKey.GLOBAL_CLUSTER_ID)
    )
    status = lookup(response, "GlobalClusters.0.Status")
    writer = str(lookup(response, "GlobalClusters.0.GlobalClusterMembers[IsWriter=true].DBClusterArn"))
    expected = outputs.of(Side.PRIMARY, RegionalKey.DB_CLUSTER_ID)
    ok = status == "available" and writer.endswith(f":cluster:{expected}")
    return ok, f"status {status}, writer {writer.rsplit(':', 1)[-1]}"


def _cache(outputs: AwsOutputs, clients: ClientFactory) -> tuple[bool, str]:
    response = clients("elasticache", outputs.region(Side.PRIMARY)).describe_global_replication_groups(
        GlobalReplicationGroupId=outputs.get(OutputKey.GLOBAL_DATASTORE_ID), ShowMemberInfo=True
    )
    status = lookup(response, "GlobalReplicationGroups.0.Status")
    primary = lookup(response, "GlobalReplicationGroups.0.Members[Role=PRIMARY].ReplicationGroupId")
    expected = outputs.of(Side.PRIMARY, RegionalKey.CACHE_REPLICATION_GROUP_ID)
    return status == "available" and primary == expected, f"status {status}, primary {primary}"


def _processors(outputs: AwsOutputs, clients: ClientFactory, side: Side) -> tuple[bool, str]:
    response: Any = clients("ecs", outputs.region(side)).describe_services(
        cluster=outputs.of(side, RegionalKey.ECS_CLUSTER_NAME),
        services=[outputs.of(side, RegionalKey.PROCESSOR_SERVICE_NAME)],
    )
    desired, running = (
        lookup(response, "services.0.desiredCount"),
        lookup(response, "services.0.runningCount"),
    )
    return desired is not None and desired > 0 and running == desired, f"{running}/{desired} tasks running"


def _ingest(outputs: AwsOutputs, clients: ClientFactory, side: Side) -> tuple[bool, str]:
    api = outputs.rest_api(side)
    response = clients("apigateway", outputs.region(side)).get_stage(
        restApiId=api.api_id, stageName=api.stage
    )
    rate = lookup(response, "methodSettings.*/*.throttlingRateLimit")
    return rate is None or float(
        rate
    ) > 0, f"stage {api.stage} rate limit {rate if rate is not None else 'account default'}"
