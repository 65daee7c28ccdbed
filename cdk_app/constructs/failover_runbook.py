"""Failover automation in the DR region: alarm → EventBridge → SSM Automation runbook.

The runbook promotes the DR side in the order the data needs, and waits for each part to finish
before the next starts:

1. Aurora global database. ``switchover`` (planned, RPO 0: Aurora waits for the secondary to catch
   up) runs without approval. ``failover`` (``AllowDataLoss``: loses what had not replicated) first
   stops at an ``aws:approve`` step: a person must approve, or the runbook ends there. Either way the
   runbook then polls ``DescribeGlobalClusters`` until the DR cluster is the writer and no
   switchover/failover is in progress (the API call returns long before that).
2. EFS: delete the replication configuration so the DR file system becomes writable (from the DR
   side; when the primary region does not answer, the local configuration only), then wait until the
   DR file system reports replication overwrite protection ENABLED, which EFS sets when it is
   writable again.
3. Cache global datastore: ``FailoverGlobalReplicationGroup`` to the DR group; if the primary region
   does not answer, ``DisassociateGlobalReplicationGroup`` makes the DR group a standalone primary.
   Then wait until the DR group is available and primary.
4. The DR processor scales from standby to active size and the runbook waits for the tasks.
5. The endpoint clients use: with a Route 53 zone, the primary's health check is inverted so the
   failover record answers with the DR API; always, the client endpoint parameter (the documented
   fallback when there is no zone) is set to the DR API URL.

Every step has an ``onFailure``: a step whose failure leaves a half-promoted system aborts with the
failed step named; the two "primary region unreachable" fallbacks branch instead.
Sources: Aurora switchover/failover
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
(REFERENCE.md "Aurora PostgreSQL global database"); EFS
https://docs.aws.amazon.com/efs/latest/ug/delete-replications.html ; ElastiCache (promote, remove region)
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastores-Console.html
Automation actions https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html
(``aws:approve``, ``aws:executeScript`` runs at most 600 s, hence ``maxAttempts`` on the poll).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk_app.arns import GLOBAL, account_arn
from cdk_app.config import AppConfig
from cdk_app.naming import Naming

#: How long the runbook waits for the database writer: each poll runs up to 540 s (executeScript's
#: limit is 600 s) and is retried, so the database gets 4 x 9 = 36 minutes, inside the 60 min RTO.
DB_POLL_SECONDS = 540
DB_POLL_ATTEMPTS = 4
APPROVAL_TIMEOUT_SECONDS = 3_600

#: Polls DescribeGlobalClusters until the target cluster is the writer and no switchover/failover is in
#: progress, and DescribeDBClusters until it is available. Raises when not yet done (the step retries).
WAIT_FOR_WRITER_SCRIPT = """
import time

import boto3

IN_PROGRESS = {"pending", "failing-over", "switching-over", "cancelling"}


def promoted(rds, global_cluster_id, target_arn, target_id):
    cluster = rds.describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"][0]
    member = {m["DBClusterArn"]: m for m in cluster.get("GlobalClusterMembers", [])}.get(target_arn, {})
    state = (cluster.get("FailoverState") or {}).get("Status", "")
    if not member.get("IsWriter") or state.lower() in IN_PROGRESS:
        return False
    status = rds.describe_db_clusters(DBClusterIdentifier=target_id)["DBClusters"][0]["Status"]
    return status == "available"


def handler(events, context):
    rds = boto3.client("rds")
    deadline = time.monotonic() + float(events["PollSeconds"])
    while True:
        if promoted(rds, events["GlobalClusterId"], events["TargetClusterArn"], events["TargetClusterId"]):
            return {"writer": events["TargetClusterId"]}
        if time.monotonic() >= deadline:
            raise RuntimeError("the DR cluster is not the available writer yet")
        time.sleep(float(events.get("IntervalSeconds", 15)))
"""


def endpoint_parameter_name(naming: Naming) -> str:
    """SSM parameter (DR region) holding the ingest API URL clients use when there is no Route 53 zone."""
    return f"/htdr/{naming.suffix}/ingest-endpoint"


@dataclass(frozen=True)
class FailoverTargets:
    """Identifiers of what the runbook promotes (deterministic names or same-stack tokens)."""

    global_cluster_id: str
    primary_cluster_id: str
    dr_cluster_id: str
    global_datastore_id: str
    primary_cache_group_id: str
    dr_cache_group_id: str
    dr_file_system_id: str
    ecs_cluster_name: str
    ecs_service_name: str
    active_tasks: int
    dr_api_url: str
    #: the primary API's Route 53 health check; None when no hosted zone was given
    primary_health_check_id: str | None = None


@dataclass(frozen=True)
class RunbookRefs:
    """Names/ARNs the document refers to that the construct creates."""

    dr_region: str
    role_arn: str
    approver_arn: str
    endpoint_parameter: str


def _api(name: str, service: str, api: str, next_step: str, on_failure: str, /, **inputs: Any) -> dict:
    return {
        "name": name,
        "action": "aws:executeAwsApi",
        "onFailure": on_failure,
        "nextStep": next_step,
        "inputs": {"Service": service, "Api": api, **inputs},
    }


def _wait(
    name: str, service: str, api: str, selector: str, desired: list[str], next_step: str, /, **inputs: Any
) -> dict:
    return {
        "name": name,
        "action": "aws:waitForAwsResourceProperty",
        "timeoutSeconds": 1_800,
        "onFailure": "Abort",
        "nextStep": next_step,
        "inputs": {
            "Service": service,
            "Api": api,
            "PropertySelector": selector,
            "DesiredValues": desired,
            **inputs,
        },
    }


def runbook_content(targets: FailoverTargets, refs: RunbookRefs) -> dict:
    """The Automation document (schema 0.3); see the module docstring for the order and the sources."""
    dr_cluster_arn = account_arn("rds", refs.dr_region, f"cluster:{targets.dr_cluster_id}")
    steps: list[dict] = [
        {
            "name": "ChooseMode",
            "action": "aws:branch",
            "onFailure": "Abort",
            "inputs": {
                "Choices": [
                    {"NextStep": "ApproveDataLoss", "Variable": "{{ Mode }}", "StringEquals": "failover"},
                    {
                        "NextStep": "SwitchoverDatabase",
                        "Variable": "{{ Mode }}",
                        "StringEquals": "switchover",
                    },
                ],
            },
        },
        {
            "name": "ApproveDataLoss",
            "action": "aws:approve",
            "timeoutSeconds": APPROVAL_TIMEOUT_SECONDS,
            "onFailure": "Abort",  # rejected or not approved in time: nothing was changed
            "nextStep": "FailoverDatabase",
            "inputs": {
                "Approvers": ["{{ Approvers }}"],
                "MinRequiredApprovals": 1,
                "Message": (
                    "Aurora FailoverGlobalCluster with AllowDataLoss: transactions not yet replicated to "
                    "the DR region are lost (check AuroraGlobalDBRPOLag). Approve only if the primary "
                    "region cannot be switched over."
                ),
            },
        },
        _api(
            "SwitchoverDatabase",
            "rds",
            "SwitchoverGlobalCluster",
            "WaitForDatabaseWriter",
            "Abort",
            GlobalClusterIdentifier=targets.global_cluster_id,
            TargetDbClusterIdentifier=dr_cluster_arn,
        ),
        _api(
            "FailoverDatabase",
            "rds",
            "FailoverGlobalCluster",
            "WaitForDatabaseWriter",
            "Abort",
            GlobalClusterIdentifier=targets.global_cluster_id,
            TargetDbClusterIdentifier=dr_cluster_arn,
            AllowDataLoss=True,
        ),
        {
            "name": "WaitForDatabaseWriter",
            "action": "aws:executeScript",
            "timeoutSeconds": 600,
            "maxAttempts": DB_POLL_ATTEMPTS,
            "onFailure": "Abort",
            "nextStep": "FailoverFileSystem",
            "inputs": {
                "Runtime": "python3.11",
                "Handler": "handler",
                "Script": WAIT_FOR_WRITER_SCRIPT,
                "InputPayload": {
                    "GlobalClusterId": targets.global_cluster_id,
                    "TargetClusterArn": dr_cluster_arn,
                    "TargetClusterId": targets.dr_cluster_id,
                    "PollSeconds": DB_POLL_SECONDS,
                },
            },
        },
        _api(
            "FailoverFileSystem",
            "efs",
            "DeleteReplicationConfiguration",
            "WaitForFileSystemWritable",
            "step:FailoverFileSystemLocalOnly",
            SourceFileSystemId=targets.dr_file_system_id,
        ),
        _api(
            "FailoverFileSystemLocalOnly",
            "efs",
            "DeleteReplicationConfiguration",
            "WaitForFileSystemWritable",
            "Abort",
            SourceFileSystemId=targets.dr_file_system_id,
            DeletionMode="LOCAL_CONFIGURATION_ONLY",
        ),
        _wait(
            "WaitForFileSystemWritable",
            "efs",
            "DescribeFileSystems",
            "$.FileSystems[0].FileSystemProtection.ReplicationOverwriteProtection",
            ["ENABLED"],
            "FailoverCache",
            FileSystemId=targets.dr_file_system_id,
        ),
        _api(
            "FailoverCache",
            "elasticache",
            "FailoverGlobalReplicationGroup",
            "WaitForCachePrimary",
            "step:DisassociateCache",
            GlobalReplicationGroupId=targets.global_datastore_id,
            PrimaryRegion=refs.dr_region,
            PrimaryReplicationGroupId=targets.dr_cache_group_id,
        ),
        _api(
            "DisassociateCache",
            "elasticache",
            "DisassociateGlobalReplicationGroup",
            "WaitForCacheAvailable",
            "Abort",
            GlobalReplicationGroupId=targets.global_datastore_id,
            ReplicationGroupId=targets.dr_cache_group_id,
            ReplicationGroupRegion=refs.dr_region,
        ),
        _wait(
            "WaitForCachePrimary",
            "elasticache",
            "DescribeReplicationGroups",
            "$.ReplicationGroups[0].GlobalReplicationGroupInfo.GlobalReplicationGroupMemberRole",
            ["PRIMARY"],
            "WaitForCacheAvailable",
            ReplicationGroupId=targets.dr_cache_group_id,
        ),
        _wait(
            "WaitForCacheAvailable",
            "elasticache",
            "DescribeReplicationGroups",
            "$.ReplicationGroups[0].Status",
            ["available"],
            "ScaleUpProcessor",
            ReplicationGroupId=targets.dr_cache_group_id,
        ),
        _api(
            "ScaleUpProcessor",
            "ecs",
            "UpdateService",
            "WaitForProcessor",
            "Abort",
            cluster=targets.ecs_cluster_name,
            service=targets.ecs_service_name,
            desiredCount=targets.active_tasks,
        ),
        _wait(
            "WaitForProcessor",
            "ecs",
            "DescribeServices",
            "$.services[0].runningCount",
            [str(targets.active_tasks)],
            "SwitchDns" if targets.primary_health_check_id else "SwitchClientEndpoint",
            cluster=targets.ecs_cluster_name,
            services=[targets.ecs_service_name],
        ),
    ]
    if targets.primary_health_check_id:
        # an inverted health check reports unhealthy, so the PRIMARY failover record stops answering
        # and Route 53 answers with the SECONDARY (DR) record; Route 53's control plane is global
        steps.append(
            _api(
                "SwitchDns",
                "route53",
                "UpdateHealthCheck",
                "SwitchClientEndpoint",
                "Abort",
                HealthCheckId=targets.primary_health_check_id,
                Inverted=True,
            )
        )
    final = _api(
        "SwitchClientEndpoint",
        "ssm",
        "PutParameter",
        "",
        "Abort",
        Name=refs.endpoint_parameter,
        Value=targets.dr_api_url,
        Overwrite=True,
    )
    del final["nextStep"]
    final["isEnd"] = True
    steps.append(final)
    return {
        "schemaVersion": "0.3",
        "description": "Promote the DR region: Aurora, EFS, cache, processor, client endpoint, each awaited",
        "assumeRole": refs.role_arn,
        "parameters": {
            "Mode": {
                "type": "String",
                "allowedValues": ["switchover", "failover"],
                "default": "switchover",
                "description": "switchover: planned, no data loss. failover: AllowDataLoss, needs approval.",
            },
            "Approvers": {
                "type": "String",
                "default": refs.approver_arn,
                "description": "IAM principal that must approve a data-losing failover",
            },
        },
        "mainSteps": steps,
    }


class FailoverRunbook(Construct):
    """Runbook + client endpoint parameter + approver role + rule that starts it when ``trigger`` alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        targets: FailoverTargets,
        trigger: cw.IAlarm,
        primary_api_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint = ssm.StringParameter(
            self,
            "ClientEndpoint",
            parameter_name=endpoint_parameter_name(naming),
            string_value=primary_api_url,
            description=(
                "Ingest API base URL clients must use when no Route 53 zone is configured; the failover "
                "runbook sets it to the DR API URL (README: Deploy, client failover)"
            ),
        )
        document_name = naming.name("failover")
        self.approver = iam.Role(
            self,
            "ApproverRole",
            role_name=naming.name("failover-approver"),
            assumed_by=iam.AccountRootPrincipal(),
            description="Assume to approve (or reject) a data-losing failover of the runbook",
        )
        self.approver.add_to_policy(
            iam.PolicyStatement(
                actions=["ssm:SendAutomationSignal", "ssm:GetAutomationExecution"],
                resources=[account_arn("ssm", Aws.REGION, "automation-execution/*")],
            )
        )
        role = self._automation_role(config, naming, targets)
        refs = RunbookRefs(
            dr_region=config.dr_region,
            role_arn=role.role_arn,
            approver_arn=self.approver.role_arn,
            endpoint_parameter=self.endpoint.parameter_name,
        )
        self.document = ssm.CfnDocument(
            self,
            "Document",
            name=document_name,
            document_type="Automation",
            document_format="JSON",
            update_method="NewVersion",
            content=runbook_content(targets, refs),
        )
        self._trigger_rule(naming, trigger, document_name, role)

    def _automation_role(self, config: AppConfig, naming: Naming, targets: FailoverTargets) -> iam.Role:
        role = iam.Role(
            self,
            "AutomationRole",
            role_name=naming.name("failover-runbook"),
            assumed_by=iam.ServicePrincipal("ssm.amazonaws.com"),
        )
        global_cluster = account_arn("rds", GLOBAL, f"global-cluster:{targets.global_cluster_id}")
        dr_cluster = account_arn("rds", config.dr_region, f"cluster:{targets.dr_cluster_id}")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "rds:SwitchoverGlobalCluster",
                    "rds:FailoverGlobalCluster",
                    "rds:DescribeGlobalClusters",
                ],
                resources=[
                    global_cluster,
                    account_arn("rds", config.primary_region, f"cluster:{targets.primary_cluster_id}"),
                    dr_cluster,
                ],
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["rds:DescribeDBClusters"], resources=[dr_cluster]))
        dr_fs = account_arn("elasticfilesystem", config.dr_region, f"file-system/{targets.dr_file_system_id}")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "elasticfilesystem:DeleteReplicationConfiguration",
                    "elasticfilesystem:DescribeFileSystems",
                ],
                resources=[dr_fs],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "elasticache:FailoverGlobalReplicationGroup",
                    "elasticache:DisassociateGlobalReplicationGroup",
                    "elasticache:DescribeReplicationGroups",
                ],
                resources=[
                    account_arn(
                        "elasticache", GLOBAL, f"globalreplicationgroup:{targets.global_datastore_id}"
                    ),
                    account_arn(
                        "elasticache",
                        config.primary_region,
                        f"replicationgroup:{targets.primary_cache_group_id}",
                    ),
                    account_arn(
                        "elasticache", config.dr_region, f"replicationgroup:{targets.dr_cache_group_id}"
                    ),
                ],
            )
        )
        service_arn = account_arn(
            "ecs", Aws.REGION, f"service/{targets.ecs_cluster_name}/{targets.ecs_service_name}"
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:UpdateService", "ecs:DescribeServices"], resources=[service_arn]
            )
        )
        if targets.primary_health_check_id:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["route53:UpdateHealthCheck"],
                    resources=[
                        f"arn:{Aws.PARTITION}:route53:::healthcheck/{targets.primary_health_check_id}"
                    ],
                )
            )
        role.add_to_policy(
            iam.PolicyStatement(actions=["ssm:PutParameter"], resources=[self.endpoint.parameter_arn])
        )
        return role

    def _trigger_rule(self, naming: Naming, trigger: cw.IAlarm, document_name: str, role: iam.Role) -> None:
        events_role = iam.Role(self, "EventsRole", assumed_by=iam.ServicePrincipal("events.amazonaws.com"))
        definition = account_arn("ssm", Aws.REGION, f"automation-definition/{document_name}:$DEFAULT")
        events_role.add_to_policy(
            iam.PolicyStatement(actions=["ssm:StartAutomationExecution"], resources=[definition])
        )
        events_role.add_to_policy(iam.PolicyStatement(actions=["iam:PassRole"], resources=[role.role_arn]))
        events.CfnRule(
            self,
            "OnAlarm",
            name=naming.name("failover-trigger"),
            description=(
                "Start the failover runbook when the primary is unreachable from the DR side; the data-"
                "losing failover still waits for a person to approve it"
            ),
            event_pattern={
                "source": ["aws.cloudwatch"],
                "detail-type": ["CloudWatch Alarm State Change"],
                "resources": [trigger.alarm_arn],
                "detail": {"state": {"value": ["ALARM"]}},
            },
            targets=[
                events.CfnRule.TargetProperty(
                    id="FailoverRunbook",
                    arn=definition,
                    role_arn=events_role.role_arn,
                    input=json.dumps({"Mode": ["failover"]}),
                )
            ],
        )
