"""FIS experiment templates the ``aws`` drill target runs, their tag-scoped role and stop condition.

In the primary region only: the drills inject faults there, and FIS is not offered in every region
(CloudFormation's resource specification has no ``AWS::FIS::ExperimentTemplate`` in ca-west-1, the
default DR region; synthesis reports it as CloudFormation-Validate F3006). Three templates, each
tagged ``HtdrFault=<fault>`` (the drill target finds them by that tag and the environment suffix):
- ``ecs-stop-task``: ``aws:ecs:stop-task`` on one task of this region's processor service (target
  ``aws:ecs:task`` selected by the ``cluster``/``service`` parameters);
- ``data-subnets-disrupt-connectivity``: ``aws:network:disrupt-connectivity`` (scope ``all``) on the
  isolated data subnets (Aurora, cache, EFS) for at most ``DISRUPTION``; FIS swaps in a deny-all
  network ACL and restores the original association when the action ends or is stopped;
- ``cache-az-power-interruption``: ``aws:elasticache:replicationgroup-interrupt-az-power`` on this
  region's replication group, selected by tags (the only selector the resource type supports).
Actions, resource types, parameters and permissions: https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
and https://docs.aws.amazon.com/fis/latest/userguide/targets.html (REFERENCE.md "Fault injection on AWS").

The role may only act on this environment: ECS tasks of this cluster, network ACLs FIS itself creates
(``managedByFIS=true``), the data subnets by ARN, and replication groups tagged with this
environment's ``Environment``/``Project`` tags. Every template stops when its stop-condition alarm
fires: the Kinesis consumer of this region falls more than the RPO objective (900 s) behind.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_fis as fis
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_app.arns import account_arn
from cdk_app.config import AppConfig
from cdk_app.naming import Naming
from contracts.drill_safety import ENVIRONMENT_TAG, FIS_FAULT_TAG, FisFault

#: Longest network disruption a template may cause (the drill stops it earlier when it is done).
DISRUPTION = "PT10M"
#: Stop condition: the consumer more than the RPO objective behind means the drill risks real data.
STOP_ITERATOR_AGE_MS = 900_000
PROJECT_TAG = ("Project", "healthtech-dr")


class FisExperiments(Construct):
    """The three templates of one region, their role and their stop-condition alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        side: str,
        region: str,
        vpc: ec2.IVpc,
        data_subnets: ec2.SubnetSelection,
        stream_name: str,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        suffix = config.environment_suffix
        # physical names rebuilt from the suffix (plain strings: they appear in the role's policy)
        ecs_cluster, ecs_service = naming.name("processing"), naming.name("processor")
        cache_group_id = naming.cache_group_id(side)
        subnet_arns = [
            account_arn("ec2", region, f"subnet/{subnet_id}")
            for subnet_id in vpc.select_subnets(subnet_group_name=data_subnets.subnet_group_name).subnet_ids
        ]
        self.role = self._role(naming, side, region, ecs_cluster, subnet_arns, suffix)
        self.alarm = self._stop_alarm(naming, side, stream_name, logs_key)
        stop = [
            fis.CfnExperimentTemplate.ExperimentTemplateStopConditionProperty(
                source="aws:cloudwatch:alarm", value=self.alarm.alarm_arn
            )
        ]
        target = fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty
        action = fis.CfnExperimentTemplate.ExperimentTemplateActionProperty
        self.templates: dict[str, fis.CfnExperimentTemplate] = {}
        specs = {
            FisFault.ECS_STOP_TASK: (
                "Stop one task of the processor service (ECS replaces it)",
                target(
                    resource_type="aws:ecs:task",
                    selection_mode="COUNT(1)",
                    parameters={"cluster": ecs_cluster, "service": ecs_service},
                ),
                action(action_id="aws:ecs:stop-task", targets={"Tasks": "Target"}),
            ),
            FisFault.DATA_SUBNETS_DISRUPT: (
                "Deny all traffic of the data subnets (simulated regional impairment)",
                target(resource_type="aws:ec2:subnet", selection_mode="ALL", resource_arns=subnet_arns),
                action(
                    action_id="aws:network:disrupt-connectivity",
                    targets={"Subnets": "Target"},
                    parameters={"duration": DISRUPTION, "scope": "all"},
                ),
            ),
            FisFault.CACHE_AZ_POWER: (
                f"Interrupt power of the AZ of {cache_group_id}'s primary",
                target(
                    resource_type="aws:elasticache:replicationgroup",
                    selection_mode="ALL",
                    resource_tags={ENVIRONMENT_TAG: suffix, PROJECT_TAG[0]: PROJECT_TAG[1]},
                    parameters={"availabilityZoneIdentifier": config.azs(region)[0]},
                ),
                action(
                    action_id="aws:elasticache:replicationgroup-interrupt-az-power",
                    targets={"ReplicationGroups": "Target"},
                    parameters={"duration": DISRUPTION},
                ),
            ),
        }
        for fault, (description, fault_target, fault_action) in specs.items():
            self.templates[fault] = fis.CfnExperimentTemplate(
                self,
                fault,
                description=f"htdr {suffix} {side}: {description}",
                role_arn=self.role.role_arn,
                stop_conditions=stop,
                targets={"Target": fault_target},
                actions={"Fault": fault_action},
                tags={FIS_FAULT_TAG: fault, "Name": naming.name(f"fis-{fault}-{side}")},
            )

    def _role(
        self, naming: Naming, side: str, region: str, ecs_cluster: str, subnet_arns: list[str], suffix: str
    ) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            role_name=naming.name(f"fis-{side}"),
            assumed_by=iam.ServicePrincipal("fis.amazonaws.com"),
            description="FIS experiments of the DR drills, limited to this environment",
        )
        cluster_arn = account_arn("ecs", region, f"cluster/{ecs_cluster}")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:StopTask"],
                resources=[account_arn("ecs", region, f"task/{ecs_cluster}/*")],
                conditions={"ArnEquals": {"ecs:cluster": cluster_arn}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:DescribeTasks", "ecs:ListTasks"],
                resources=["*"],
                conditions={"ArnEquals": {"ecs:cluster": cluster_arn}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateNetworkAcl"],
                resources=["*"],
                conditions={"StringEquals": {"aws:RequestTag/managedByFIS": "true"}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl"],
                resources=[account_arn("ec2", region, "network-acl/*")],
                conditions={"StringEquals": {"aws:ResourceTag/managedByFIS": "true"}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateTags"],
                resources=[account_arn("ec2", region, "network-acl/*")],
                conditions={"StringEquals": {"ec2:CreateAction": "CreateNetworkAcl"}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:ReplaceNetworkAclAssociation"],
                resources=[*subnet_arns, account_arn("ec2", region, "network-acl/*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "ec2:DescribeManagedPrefixLists",
                    "ec2:DescribeNetworkAcls",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                    "ec2:GetManagedPrefixListEntries",
                    "elasticache:DescribeReplicationGroups",
                    "tag:GetResources",
                ],
                resources=["*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["elasticache:InterruptClusterAzPower"],
                resources=[account_arn("elasticache", region, "replicationgroup:*")],
                conditions={
                    "StringEquals": {
                        f"aws:ResourceTag/{ENVIRONMENT_TAG}": suffix,
                        f"aws:ResourceTag/{PROJECT_TAG[0]}": PROJECT_TAG[1],
                    }
                },
            )
        )
        return role

    def _stop_alarm(self, naming: Naming, side: str, stream_name: str, logs_key: kms.IKey) -> cw.Alarm:
        topic = sns.Topic(
            self,
            "StopTopic",
            topic_name=naming.name(f"fis-stop-{side}"),
            master_key=logs_key,
            enforce_ssl=True,
        )
        alarm = cw.Alarm(
            self,
            "StopCondition",
            alarm_name=naming.name(f"{side}-fis-stop"),
            alarm_description="Stops the drill's FIS experiments: the consumer is more than the RPO "
            "objective (900 s) behind its stream",
            metric=cw.Metric(
                namespace="AWS/Kinesis",
                metric_name="GetRecords.IteratorAgeMilliseconds",
                dimensions_map={"StreamName": stream_name},
                statistic="Maximum",
                period=Duration.minutes(1),
            ),
            threshold=STOP_ITERATOR_AGE_MS,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
        alarm.add_ok_action(cw_actions.SnsAction(topic))
        return alarm
