"""The failover runbook (SSM Automation): order, approval, waits, onFailure branches, and its poll script.

The document is pure data (``runbook_content``); these tests walk it as Automation would. The
DescribeGlobalClusters poll script runs against botocore's Stubber (moto implements no Aurora global
failover), with the response shapes of the RDS API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cdk_app.constructs.failover_runbook import (
    WAIT_FOR_WRITER_SCRIPT,
    FailoverTargets,
    RunbookRefs,
    runbook_content,
)

TARGETS = FailoverTargets(
    global_cluster_id="htdr-patients-global-unit",
    primary_cluster_id="htdr-patients-primary-unit",
    dr_cluster_id="htdr-patients-dr-unit",
    global_datastore_id="ldgnf-htdr-sessions-unit",
    primary_cache_group_id="htdr-sessions-primary-unit",
    dr_cache_group_id="htdr-sessions-dr-unit",
    dr_file_system_id="fs-0123456789abcdef0",
    ecs_cluster_name="htdr-processing-unit",
    ecs_service_name="htdr-processor-unit",
    active_tasks=4,
    dr_api_url="https://dr.execute-api.ca-west-1.amazonaws.com/v1/",
)
REFS = RunbookRefs(
    dr_region="ca-west-1",
    role_arn="arn:aws:iam::123456789012:role/runbook",
    approver_arn="arn:aws:iam::123456789012:role/approver",
    endpoint_parameter="/htdr/unit/ingest-endpoint",
)


def _steps(targets: FailoverTargets = TARGETS) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in runbook_content(targets, REFS)["mainSteps"]}


def _path(steps: dict[str, dict[str, Any]], start: str) -> list[str]:
    """Follow nextStep from ``start`` (the success path) until a step ends the run."""
    path, name = [], start
    while True:
        path.append(name)
        step = steps[name]
        if step.get("isEnd"):
            return path
        name = step["nextStep"]
        assert name not in path, f"loop at {name}"


def _apis(steps: dict[str, dict[str, Any]], path: list[str]) -> list[str]:
    return [steps[n]["inputs"].get("Api", steps[n]["action"]) for n in path]


def test_every_step_has_on_failure_and_every_target_exists() -> None:
    steps = _steps()
    for name, step in steps.items():
        assert "onFailure" in step, name
        failure = step["onFailure"]
        assert failure == "Abort" or failure.removeprefix("step:") in steps, (name, failure)
        if "nextStep" in step:
            assert step["nextStep"] in steps, (name, step["nextStep"])


def test_mode_branch_has_no_default_and_only_failover_goes_through_approval() -> None:
    steps = _steps()
    choices = {c["StringEquals"]: c["NextStep"] for c in steps["ChooseMode"]["inputs"]["Choices"]}
    assert choices == {"failover": "ApproveDataLoss", "switchover": "SwitchoverDatabase"}
    assert "Default" not in steps["ChooseMode"]["inputs"]  # an unknown mode fails the run
    approve = steps["ApproveDataLoss"]
    assert approve["action"] == "aws:approve" and approve["onFailure"] == "Abort"
    assert approve["inputs"]["MinRequiredApprovals"] >= 1 and approve["inputs"]["Approvers"]
    assert approve["nextStep"] == "FailoverDatabase"
    into_failover = [n for n, s in steps.items() if s.get("nextStep") == "FailoverDatabase"]
    assert into_failover == ["ApproveDataLoss"]  # the data-losing call is reachable only by approval
    assert steps["FailoverDatabase"]["inputs"]["AllowDataLoss"] is True
    assert "AllowDataLoss" not in steps["SwitchoverDatabase"]["inputs"]
    assert "aws:approve" not in [steps[n]["action"] for n in _path(steps, "SwitchoverDatabase")]


@pytest.mark.parametrize(
    ("start", "database_api"),
    [
        ("SwitchoverDatabase", "SwitchoverGlobalCluster"),
        ("ApproveDataLoss", "FailoverGlobalCluster"),
    ],
)
def test_success_path_promotes_in_order_and_waits_for_each_part(start: str, database_api: str) -> None:
    steps = _steps()
    apis = _apis(steps, _path(steps, start))
    expected = [
        database_api,
        "aws:executeScript",  # poll DescribeGlobalClusters until the DR cluster is the writer
        "DeleteReplicationConfiguration",
        "DescribeFileSystems",
        "FailoverGlobalReplicationGroup",
        "DescribeReplicationGroups",
        "DescribeReplicationGroups",
        "UpdateService",
        "DescribeServices",
        "PutParameter",
    ]
    assert apis[-len(expected) :] == expected


def test_database_wait_polls_writer_flag_within_execute_script_limits() -> None:
    wait = _steps()["WaitForDatabaseWriter"]
    assert wait["timeoutSeconds"] <= 600  # aws:executeScript's maximum
    assert wait["inputs"]["InputPayload"]["PollSeconds"] < wait["timeoutSeconds"]
    assert wait["maxAttempts"] * wait["timeoutSeconds"] <= 3_600  # inside the RTO objective
    assert "IsWriter" in wait["inputs"]["Script"] and "FailoverState" in wait["inputs"]["Script"]
    assert wait["onFailure"] == "Abort"


def test_file_system_fails_over_with_local_fallback_and_waits_until_writable() -> None:
    steps = _steps()
    delete = steps["FailoverFileSystem"]
    assert delete["inputs"]["SourceFileSystemId"] == TARGETS.dr_file_system_id
    assert delete["onFailure"] == "step:FailoverFileSystemLocalOnly"
    local = steps["FailoverFileSystemLocalOnly"]
    assert local["inputs"]["DeletionMode"] == "LOCAL_CONFIGURATION_ONLY"
    assert local["onFailure"] == "Abort" and local["nextStep"] == "WaitForFileSystemWritable"
    wait = steps["WaitForFileSystemWritable"]
    assert wait["inputs"]["PropertySelector"].endswith("ReplicationOverwriteProtection")
    assert wait["inputs"]["DesiredValues"] == ["ENABLED"]


def test_cache_fails_over_or_disassociates_when_the_primary_does_not_answer() -> None:
    steps = _steps()
    failover = steps["FailoverCache"]
    assert failover["inputs"]["PrimaryRegion"] == "ca-west-1"
    assert failover["inputs"]["PrimaryReplicationGroupId"] == TARGETS.dr_cache_group_id
    assert failover["onFailure"] == "step:DisassociateCache"
    disassociate = steps["DisassociateCache"]
    assert disassociate["inputs"]["Api"] == "DisassociateGlobalReplicationGroup"
    assert disassociate["inputs"]["ReplicationGroupRegion"] == "ca-west-1"
    assert disassociate["nextStep"] == "WaitForCacheAvailable" and disassociate["onFailure"] == "Abort"
    assert steps["WaitForCachePrimary"]["inputs"]["DesiredValues"] == ["PRIMARY"]


def test_processor_scales_up_and_the_client_endpoint_switches_to_dr() -> None:
    steps = _steps()
    assert steps["ScaleUpProcessor"]["inputs"]["desiredCount"] == 4
    assert steps["WaitForProcessor"]["inputs"]["DesiredValues"] == ["4"]
    assert "SwitchDns" not in steps  # no hosted zone: the documented endpoint parameter is the switch
    endpoint = steps["SwitchClientEndpoint"]
    assert endpoint["inputs"]["Name"] == "/htdr/unit/ingest-endpoint"
    assert endpoint["inputs"]["Value"] == TARGETS.dr_api_url and endpoint["isEnd"] is True


def test_with_a_hosted_zone_the_primary_health_check_is_inverted() -> None:
    from dataclasses import replace

    steps = _steps(replace(TARGETS, primary_health_check_id="hc-123"))
    dns = steps["SwitchDns"]
    assert dns["inputs"] == {
        "Service": "route53",
        "Api": "UpdateHealthCheck",
        "HealthCheckId": "hc-123",
        "Inverted": True,
    }
    assert steps["WaitForProcessor"]["nextStep"] == "SwitchDns"
    assert dns["nextStep"] == "SwitchClientEndpoint" and dns["onFailure"] == "Abort"


# --- the poll script, against the RDS API shapes (Stubber) ------------------------------------------

DR_ARN = "arn:aws:rds:ca-west-1:123456789012:cluster:htdr-patients-dr-unit"
PRIMARY_ARN = "arn:aws:rds:ca-central-1:123456789012:cluster:htdr-patients-primary-unit"


def _script() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(WAIT_FOR_WRITER_SCRIPT, "wait_for_writer", "exec"), namespace)  # the shipped source
    return namespace


def _global(dr_writer: bool, failover_status: str | None) -> dict[str, Any]:
    cluster: dict[str, Any] = {
        "GlobalClusterIdentifier": TARGETS.global_cluster_id,
        "Status": "available",
        "GlobalClusterMembers": [
            {"DBClusterArn": PRIMARY_ARN, "IsWriter": not dr_writer},
            {"DBClusterArn": DR_ARN, "IsWriter": dr_writer},
        ],
    }
    if failover_status:
        cluster["FailoverState"] = {"Status": failover_status, "ToDbClusterArn": DR_ARN}
    return {"GlobalClusters": [cluster]}


@pytest.mark.parametrize(
    ("dr_writer", "failover_status", "cluster_status", "done"),
    [
        (False, "switching-over", None, False),  # call accepted, nothing moved yet
        (True, "switching-over", None, False),  # writer flag moved, switchover not finished
        (True, None, "modifying", False),  # finished globally, DR cluster still settling
        (True, None, "available", True),
    ],
)
def test_poll_script_waits_for_writer_flag_end_of_failover_and_available_cluster(
    dr_writer: bool, failover_status: str | None, cluster_status: str | None, done: bool
) -> None:
    rds = boto3.client("rds", region_name="ca-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(rds) as stub:
        stub.add_response(
            "describe_global_clusters",
            _global(dr_writer, failover_status),
            {"GlobalClusterIdentifier": TARGETS.global_cluster_id},
        )
        if cluster_status:
            stub.add_response(
                "describe_db_clusters",
                {
                    "DBClusters": [
                        {
                            "DBClusterIdentifier": TARGETS.dr_cluster_id,
                            "Status": cluster_status,
                            "ClusterCreateTime": dt.datetime(2026, 1, 1),
                        }
                    ]
                },
                {"DBClusterIdentifier": TARGETS.dr_cluster_id},
            )
        assert _script()["promoted"](rds, TARGETS.global_cluster_id, DR_ARN, TARGETS.dr_cluster_id) is done
        stub.assert_no_pending_responses()


def test_poll_script_raises_when_the_deadline_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    rds = boto3.client("rds", region_name="ca-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    script = _script()
    monkeypatch.setattr(script["boto3"], "client", lambda *_a, **_k: rds)
    with Stubber(rds) as stub:
        stub.add_response("describe_global_clusters", _global(False, "failing-over"))
        with pytest.raises(RuntimeError, match="not the available writer yet"):
            script["handler"](
                {
                    "GlobalClusterId": TARGETS.global_cluster_id,
                    "TargetClusterArn": DR_ARN,
                    "TargetClusterId": TARGETS.dr_cluster_id,
                    "PollSeconds": 0,
                },
                None,
            )
