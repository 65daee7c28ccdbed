"""Failover automation in the DR region: alarm → EventBridge → SSM Automation runbook.

The runbook promotes the DR side in the order the data needs: Aurora global database (switchover
when the primary is reachable, failover with data loss when it is not), then the cache global
datastore, then the DR processor scales from standby to active size, and finally the active-region
parameter that clients read flips to the DR region (the endpoint switch). Its role may call exactly
those APIs on exactly these resources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk_app.arns import GLOBAL, account_arn
from cdk_app.config import AppConfig
from cdk_app.naming import Naming


@dataclass(frozen=True)
class FailoverTargets:
    """Identifiers of what the runbook promotes (all deterministic names or same-stack tokens)."""

    global_cluster_id: str
    primary_cluster_id: str
    dr_cluster_id: str
    global_datastore_id: str
    primary_cache_group_id: str
    dr_cache_group_id: str
    ecs_cluster_name: str
    ecs_service_name: str
    active_tasks: int


def runbook_content(targets: FailoverTargets, dr_region: str, parameter_name: str, role_arn: str) -> dict:
    """The Automation document (schema 0.3): branch on Mode, then promote DB, cache, ECS, endpoint."""
    dr_cluster_arn = account_arn("rds", Aws.REGION, f"cluster:{targets.dr_cluster_id}")
    return {
        "schemaVersion": "0.3",
        "description": "Promote the DR region: Aurora global DB, cache global datastore, ECS, endpoint",
        "assumeRole": role_arn,
        "parameters": {
            "Mode": {"type": "String", "allowedValues": ["switchover", "failover"], "default": "switchover"}
        },
        "mainSteps": [
            {
                "name": "ChooseMode",
                "action": "aws:branch",
                "inputs": {
                    "Choices": [
                        {"NextStep": "FailoverDatabase", "Variable": "{{ Mode }}", "StringEquals": "failover"}
                    ],
                    "Default": "SwitchoverDatabase",
                },
            },
            {
                "name": "SwitchoverDatabase",
                "action": "aws:executeAwsApi",
                "nextStep": "WaitForDatabase",
                "inputs": {
                    "Service": "rds",
                    "Api": "SwitchoverGlobalCluster",
                    "GlobalClusterIdentifier": targets.global_cluster_id,
                    "TargetDbClusterIdentifier": dr_cluster_arn,
                },
            },
            {
                "name": "FailoverDatabase",
                "action": "aws:executeAwsApi",
                "nextStep": "WaitForDatabase",
                "inputs": {
                    "Service": "rds",
                    "Api": "FailoverGlobalCluster",
                    "GlobalClusterIdentifier": targets.global_cluster_id,
                    "TargetDbClusterIdentifier": dr_cluster_arn,
                    "AllowDataLoss": True,
                },
            },
            {
                "name": "WaitForDatabase",
                "action": "aws:waitForAwsResourceProperty",
                "timeoutSeconds": 1800,
                "inputs": {
                    "Service": "rds",
                    "Api": "DescribeGlobalClusters",
                    "GlobalClusterIdentifier": targets.global_cluster_id,
                    "PropertySelector": "$.GlobalClusters[0].Status",
                    "DesiredValues": ["available"],
                },
            },
            {
                "name": "FailoverCache",
                "action": "aws:executeAwsApi",
                "inputs": {
                    "Service": "elasticache",
                    "Api": "FailoverGlobalReplicationGroup",
                    "GlobalReplicationGroupId": targets.global_datastore_id,
                    "PrimaryRegion": dr_region,
                    "PrimaryReplicationGroupId": targets.dr_cache_group_id,
                },
            },
            {
                "name": "ScaleUpProcessor",
                "action": "aws:executeAwsApi",
                "inputs": {
                    "Service": "ecs",
                    "Api": "UpdateService",
                    "cluster": targets.ecs_cluster_name,
                    "service": targets.ecs_service_name,
                    "desiredCount": targets.active_tasks,
                },
            },
            {
                "name": "SwitchEndpoint",
                "action": "aws:executeAwsApi",
                "isEnd": True,
                "inputs": {
                    "Service": "ssm",
                    "Api": "PutParameter",
                    "Name": parameter_name,
                    "Value": dr_region,
                    "Overwrite": True,
                },
            },
        ],
    }


class FailoverRunbook(Construct):
    """Runbook + active-region parameter + rule that starts the runbook when ``trigger`` alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        targets: FailoverTargets,
        trigger: cw.IAlarm,
    ) -> None:
        super().__init__(scope, construct_id)
        self.active_region = ssm.StringParameter(
            self,
            "ActiveRegion",
            parameter_name=f"/htdr/{naming.suffix}/active-region",
            string_value=config.primary_region,
            description="Region whose endpoints clients use; the runbook flips it on failover",
        )
        document_name = naming.name("failover")
        role = self._automation_role(config, naming, targets)
        self.document = ssm.CfnDocument(
            self,
            "Document",
            name=document_name,
            document_type="Automation",
            document_format="JSON",
            update_method="NewVersion",
            content=runbook_content(
                targets, config.dr_region, self.active_region.parameter_name, role.role_arn
            ),
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
                    account_arn("rds", config.dr_region, f"cluster:{targets.dr_cluster_id}"),
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["elasticache:FailoverGlobalReplicationGroup"],
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
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:UpdateService"],
                resources=[
                    account_arn(
                        "ecs", Aws.REGION, f"service/{targets.ecs_cluster_name}/{targets.ecs_service_name}"
                    )
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["ssm:PutParameter"], resources=[self.active_region.parameter_arn])
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
            description="Start the failover runbook when the primary is unreachable from the DR side",
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
