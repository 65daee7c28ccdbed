"""One regional cluster of the Aurora PostgreSQL global database holding patient events.

The primary side creates the global cluster and a multi-AZ writer + reader; the DR side joins the
global cluster as a read-only secondary with two instances too, so the writer it becomes on failover
is multi-AZ from the first minute. Both use
a parameter group that forces TLS, loads pgaudit and sets ``rds.global_db_rpo`` so the primary
blocks commits the secondary cannot cover within the RPO objective. Master credentials come from the
imported secret through dynamic references: CloudFormation resolves them, nothing is generated.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from constructs import Construct

from cdk_app.config import AppConfig, ExistingSecret
from cdk_app.constructs.aurora_parts import (
    ENGINE,
    aurora_instance,
    enhanced_monitoring_role,
    isolated_subnet_group,
)
from cdk_app.constructs.inbound_only_security_group import inbound_only_security_group
from cdk_app.naming import Naming
from contracts.retention import AURORA_BACKUP_RETENTION_DAYS

#: 16.8 is Aurora PostgreSQL 16's long-term-support minor and can still create clusters (16.6 cannot:
#: cfn-lint W3690, from AWS's deprecation data, which the cfn-lint test runs on every template).
#: Global databases with Aurora PostgreSQL 16 need 16.1 or higher in both Canada (Central) and Canada
#: West (Calgary): https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase.html#Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase.apg
#: LTS minors: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Updates.LTS.html
#: Before deploying to a new account/region pair, confirm with
#: ``aws rds describe-db-engine-versions --engine aurora-postgresql --engine-version 16.8
#: --query 'DBEngineVersions[].SupportsGlobalDatabases' --region <each region>``.
ENGINE_VERSION = "16.8"
GLOBAL_DATABASE_MIN_VERSION = (16, 1)
PARAMETER_FAMILY = "aurora-postgresql16"
INSTANCE_CLASS = "db.r6g.large"
#: Both sides: after a failover the promoted DR writer keeps a reader in another AZ to fail over to
#: (the subnet group spans three AZs and Aurora spreads a cluster's instances across them).
INSTANCES_PER_CLUSTER = 2
DB_NAME = "patients"
DB_PORT = 5432
BACKUP_RETENTION_DAYS = AURORA_BACKUP_RETENTION_DAYS
GLOBAL_DB_RPO_SECONDS = 300  # well inside the 900 s objective; the minimum AWS accepts is 20

CLUSTER_PARAMETERS = {
    "rds.force_ssl": "1",
    "rds.global_db_rpo": str(GLOBAL_DB_RPO_SECONDS),
    "shared_preload_libraries": "pgaudit,pg_stat_statements",
    "pgaudit.log": "ddl,role,write",
    "pgaudit.log_parameter": "0",  # statement parameters may carry PHI: never log them
    "pgaudit.role": "rds_pgaudit",
    "log_connections": "1",
    "log_disconnections": "1",
}


def secret_reference(secret: ExistingSecret, field: str) -> str:
    """CloudFormation dynamic reference to one JSON field of an existing secret."""
    return f"{{{{resolve:secretsmanager:{secret.name_or_arn}:SecretString:{field}}}}}"


class PatientStore(Construct):
    """A regional Aurora cluster; ``secondary=True`` joins the global cluster from the DR region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        side: str,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        key_arn: str,
        secondary: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = inbound_only_security_group(
            self,
            "Sg",
            vpc=vpc,
            name=naming.name(f"patients-{side}"),
            description="Aurora: PostgreSQL from the processor and the drill runner only",
        )
        subnet_group = isolated_subnet_group(
            self, name=naming.name(f"patients-{side}"), vpc=vpc, subnets=subnets
        )
        params = rds.CfnDBClusterParameterGroup(
            self,
            "Params",
            db_cluster_parameter_group_name=naming.name(f"patients-{side}"),
            description="TLS only, pgaudit, global RPO",
            family=PARAMETER_FAMILY,
            parameters=CLUSTER_PARAMETERS,
        )
        global_cluster = None if secondary else self._global_cluster(config, naming)
        self.cluster = self._cluster(config, naming, side, key_arn, subnet_group, params, secondary)
        if global_cluster is not None:
            self.cluster.add_resource_dependency(global_cluster)
        monitoring = enhanced_monitoring_role(self)
        self.instances = [
            aurora_instance(
                self,
                f"Instance{index}",
                config=config,
                identifier=naming.name(f"patients-{side}-{index}"),
                cluster=self.cluster,
                instance_class=INSTANCE_CLASS,
                key_arn=key_arn,
                monitoring=monitoring,
            )
            for index in range(1, INSTANCES_PER_CLUSTER + 1)
        ]
        self.connections = ec2.Connections(
            security_groups=[self.security_group], default_port=ec2.Port.tcp(DB_PORT)
        )

    def _global_cluster(self, config: AppConfig, naming: Naming) -> rds.CfnGlobalCluster:
        glob = rds.CfnGlobalCluster(
            self,
            "Global",
            global_cluster_identifier=naming.global_cluster_id(),
            engine=ENGINE,
            engine_version=ENGINE_VERSION,
            storage_encrypted=True,
            deletion_protection=config.production,
        )
        glob.cfn_options.deletion_policy = config.cfn_deletion_policy
        # without the same UpdateReplacePolicy a replacement would still delete it (cfn-lint W3011)
        glob.cfn_options.update_replace_policy = config.cfn_deletion_policy
        return glob

    def _cluster(
        self,
        config: AppConfig,
        naming: Naming,
        side: str,
        key_arn: str,
        subnet_group: rds.CfnDBSubnetGroup,
        params: rds.CfnDBClusterParameterGroup,
        secondary: bool,
    ) -> rds.CfnDBCluster:
        cluster = rds.CfnDBCluster(
            self,
            "Cluster",
            db_cluster_identifier=naming.db_cluster_id(side),
            global_cluster_identifier=naming.global_cluster_id(),
            engine=ENGINE,
            engine_version=ENGINE_VERSION,
            port=DB_PORT,
            storage_encrypted=True,
            kms_key_id=key_arn,
            enable_iam_database_authentication=True,
            enable_cloudwatch_logs_exports=["postgresql"],
            backup_retention_period=BACKUP_RETENTION_DAYS,
            preferred_backup_window="05:00-06:00",
            copy_tags_to_snapshot=True,
            deletion_protection=config.production,
            db_cluster_parameter_group_name=params.ref,
            db_subnet_group_name=subnet_group.ref,
            vpc_security_group_ids=[self.security_group.security_group_id],
            # only the primary carries credentials and the database; a secondary inherits them
            master_username=None if secondary else secret_reference(config.db_secret, "username"),
            master_user_password=None if secondary else secret_reference(config.db_secret, "password"),
            database_name=None if secondary else DB_NAME,
        )
        cluster.cfn_options.deletion_policy = config.cfn_deletion_policy
        cluster.cfn_options.update_replace_policy = config.cfn_deletion_policy
        return cluster
