"""The deployment's steady state, read before the first action and again after the rollbacks.

``AwsSite.health`` is this: the runner refuses a drill on an unhealthy deployment before any change,
and fails one that did not restore it. A drill must leave the target as it found it: the primary
cluster writes and the global cluster is available, the primary cache group is the datastore's
primary, each region's processors run their desired count, and each region's ingest stage is not
throttled to 0. Reads only; a component whose read fails is unhealthy with the reason. ``checks`` is
also what the dry run prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.journal import ComponentState
from contracts.outputs import OutputKey, RegionalKey, Side
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.paths import lookup
from drills.targets.aws.steps import Call

Verdict = Callable[[Any], tuple[bool, str]]


@dataclass(frozen=True)
class Check:
    name: str
    read: Call
    verdict: Verdict


def checks(o: AwsOutputs) -> list[Check]:
    primary = o.region(Side.PRIMARY)
    db_writer, cache_primary = (
        o.of(Side.PRIMARY, RegionalKey.DB_CLUSTER_ID),
        o.of(Side.PRIMARY, RegionalKey.CACHE_REPLICATION_GROUP_ID),
    )

    def database(response: Any) -> tuple[bool, str]:
        status = lookup(response, "GlobalClusters.0.Status")
        writer = str(lookup(response, "GlobalClusters.0.GlobalClusterMembers[IsWriter=true].DBClusterArn"))
        return (
            status == "available" and writer.endswith(f":cluster:{db_writer}"),
            f"status {status}, writer {writer.rsplit(':', 1)[-1]}",
        )

    def cache(response: Any) -> tuple[bool, str]:
        status = lookup(response, "GlobalReplicationGroups.0.Status")
        member = lookup(response, "GlobalReplicationGroups.0.Members[Role=PRIMARY].ReplicationGroupId")
        return status == "available" and member == cache_primary, f"status {status}, primary {member}"

    def processors(response: Any) -> tuple[bool, str]:
        desired, running = (
            lookup(response, "services.0.desiredCount"),
            lookup(response, "services.0.runningCount"),
        )
        return (
            desired is not None and desired > 0 and running == desired,
            f"{running}/{desired} tasks running",
        )

    def ingest(response: Any) -> tuple[bool, str]:
        rate = lookup(response, "methodSettings.*/*.throttlingRateLimit")
        shown = "account default" if rate is None else rate
        return rate is None or float(rate) > 0, f"stage {response.get('stageName')} rate limit {shown}"

    found = [
        Check(
            "aurora global database",
            Call(
                "rds",
                primary,
                "describe_global_clusters",
                {"GlobalClusterIdentifier": o.get(OutputKey.GLOBAL_CLUSTER_ID)},
            ),
            database,
        ),
        Check(
            "cache global datastore",
            Call(
                "elasticache",
                primary,
                "describe_global_replication_groups",
                {"GlobalReplicationGroupId": o.get(OutputKey.GLOBAL_DATASTORE_ID), "ShowMemberInfo": True},
            ),
            cache,
        ),
    ]
    for side in Side:
        found.append(
            Check(
                f"processors {o.region(side)}",
                Call(
                    "ecs",
                    o.region(side),
                    "describe_services",
                    {
                        "cluster": o.of(side, RegionalKey.ECS_CLUSTER_NAME),
                        "services": [o.of(side, RegionalKey.PROCESSOR_SERVICE_NAME)],
                    },
                ),
                processors,
            )
        )
    for side in Side:
        api = o.rest_api(side)
        found.append(
            Check(
                f"ingest {o.region(side)}",
                Call(
                    "apigateway",
                    o.region(side),
                    "get_stage",
                    {"restApiId": api.api_id, "stageName": api.stage},
                ),
                ingest,
            )
        )
    return found


def steady_state(outputs: AwsOutputs, clients: ClientFactory) -> list[ComponentState]:
    return [_component(check, clients) for check in checks(outputs)]


def _component(check: Check, clients: ClientFactory) -> ComponentState:
    call = check.read
    try:
        ok, detail = check.verdict(getattr(clients(call.service, call.region), call.operation)(**call.params))
    except Exception as err:  # an unreadable component is unhealthy, with the reason
        ok, detail = False, f"not readable ({type(err).__name__})"
    return ComponentState(name=check.name, ok=ok, detail=detail)
