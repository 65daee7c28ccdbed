"""The pieces every Aurora PostgreSQL cluster of the app shares: subnet group, monitoring role, instance.

The patient store and the Dagster database differ in their clusters (global vs. Serverless v2) but
place them the same way (isolated data subnets), monitor them the same way (Enhanced Monitoring every
60 s, Performance Insights encrypted with the cluster's key, kept 7 days, the free tier) and keep or
delete their instances as the profile says.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from constructs import Construct

from cdk_app.config import AppConfig

ENGINE = "aurora-postgresql"
MONITORING_INTERVAL_SECONDS = 60
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7
CA_CERTIFICATE = "rds-ca-rsa2048-g1"


def isolated_subnet_group(
    scope: Construct, *, name: str, vpc: ec2.IVpc, subnets: ec2.SubnetSelection
) -> rds.CfnDBSubnetGroup:
    """The DB subnet group over the VPC's isolated data subnets named by ``subnets``."""
    return rds.CfnDBSubnetGroup(
        scope,
        "Subnets",
        db_subnet_group_name=name,
        db_subnet_group_description="Isolated data subnets",
        subnet_ids=vpc.select_subnets(subnet_group_name=subnets.subnet_group_name).subnet_ids,
    )


def enhanced_monitoring_role(scope: Construct) -> iam.Role:
    """The role RDS Enhanced Monitoring assumes to publish OS metrics of the instances."""
    return iam.Role(
        scope,
        "MonitoringRole",
        assumed_by=iam.ServicePrincipal("monitoring.rds.amazonaws.com"),
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonRDSEnhancedMonitoringRole")
        ],
    )


def aurora_instance(
    scope: Construct,
    construct_id: str,
    *,
    config: AppConfig,
    identifier: str,
    cluster: rds.CfnDBCluster,
    instance_class: str,
    key_arn: str,
    monitoring: iam.IRole,
    promotion_tier: int | None = None,
) -> rds.CfnDBInstance:
    """One private instance of ``cluster``, monitored, kept or deleted with the profile."""
    instance = rds.CfnDBInstance(
        scope,
        construct_id,
        db_instance_identifier=identifier,
        db_cluster_identifier=cluster.ref,
        engine=ENGINE,
        db_instance_class=instance_class,
        publicly_accessible=False,
        auto_minor_version_upgrade=True,
        enable_performance_insights=True,
        performance_insights_kms_key_id=key_arn,
        performance_insights_retention_period=PERFORMANCE_INSIGHTS_RETENTION_DAYS,
        monitoring_interval=MONITORING_INTERVAL_SECONDS,
        monitoring_role_arn=monitoring.role_arn,
        ca_certificate_identifier=CA_CERTIFICATE,
        promotion_tier=promotion_tier,
    )
    instance.cfn_options.deletion_policy = config.cfn_deletion_policy
    instance.cfn_options.update_replace_policy = config.cfn_deletion_policy
    return instance
