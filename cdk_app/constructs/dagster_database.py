"""Dagster's run, event-log and schedule storage: Aurora PostgreSQL Serverless v2 (dagster-postgres).

A writer and a reader in different AZs (Serverless v2 scales each between ``MIN_ACU`` and ``MAX_ACU``),
encrypted with the control plane's customer key, TLS forced, IAM authentication on, logs exported,
backups kept. The master credentials come from an EXISTING Secrets Manager secret through dynamic
references (the app never creates a secret), like the patient store's. It holds run metadata and drill
measurements, never PHI.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from constructs import Construct

from cdk_app.config import AppConfig, ExistingSecret
from cdk_app.constructs.aurora_parts import aurora_instance, enhanced_monitoring_role, isolated_subnet_group
from cdk_app.constructs.inbound_only_security_group import inbound_only_security_group
from cdk_app.constructs.patient_store import ENGINE, ENGINE_VERSION, PARAMETER_FAMILY, secret_reference
from cdk_app.naming import Naming

DB_NAME = "dagster"
DB_PORT = 5432
#: Aurora capacity units; 0.5 is the Serverless v2 floor
#: (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html).
MIN_ACU, MAX_ACU = 0.5, 4.0
BACKUP_RETENTION_DAYS = 35
INSTANCE_CLASS = "db.serverless"
PARAMETERS = {
    "rds.force_ssl": "1",
    "shared_preload_libraries": "pgaudit",
    "pgaudit.log": "ddl,role,write",  # who changed run records and grants (§164.312(b))
    "pgaudit.log_parameter": "0",
    "log_connections": "1",
    "log_disconnections": "1",
}


class DagsterDatabase(Construct):
    """Serverless v2 cluster (writer + reader) in the isolated data subnets of the DR VPC."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        secret: ExistingSecret,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = inbound_only_security_group(
            self,
            "Sg",
            vpc=vpc,
            name=naming.name("dagster-db"),
            description="Dagster storage: PostgreSQL from the control plane tasks only",
        )
        subnet_group = isolated_subnet_group(self, name=naming.name("dagster-db"), vpc=vpc, subnets=subnets)
        params = rds.CfnDBClusterParameterGroup(
            self,
            "Params",
            db_cluster_parameter_group_name=naming.name("dagster-db"),
            description="TLS only, pgaudit, connection logging",
            family=PARAMETER_FAMILY,
            parameters=PARAMETERS,
        )
        params.add_metadata(
            "checkov",
            {
                "skip": [
                    {
                        "id": "CKV_HT_18",
                        "comment": "not a global database: rds.global_db_rpo has no meaning here",
                    }
                ]
            },
        )
        self.cluster = rds.CfnDBCluster(
            self,
            "Cluster",
            db_cluster_identifier=naming.name("dagster-db"),
            engine=ENGINE,
            engine_version=ENGINE_VERSION,
            port=DB_PORT,
            database_name=DB_NAME,
            master_username=secret_reference(secret, "username"),
            master_user_password=secret_reference(secret, "password"),
            storage_encrypted=True,
            kms_key_id=key.key_arn,
            enable_iam_database_authentication=True,
            enable_cloudwatch_logs_exports=["postgresql"],
            backup_retention_period=BACKUP_RETENTION_DAYS,
            copy_tags_to_snapshot=True,
            deletion_protection=config.production,
            db_cluster_parameter_group_name=params.ref,
            db_subnet_group_name=subnet_group.ref,
            vpc_security_group_ids=[self.security_group.security_group_id],
            serverless_v2_scaling_configuration=rds.CfnDBCluster.ServerlessV2ScalingConfigurationProperty(
                min_capacity=MIN_ACU, max_capacity=MAX_ACU
            ),
        )
        self.cluster.cfn_options.deletion_policy = config.cfn_deletion_policy
        self.cluster.cfn_options.update_replace_policy = config.cfn_deletion_policy
        monitoring = enhanced_monitoring_role(self)
        self.instances = [
            aurora_instance(
                self,
                role.capitalize(),
                config=config,
                identifier=naming.name(f"dagster-db-{role}"),
                cluster=self.cluster,
                instance_class=INSTANCE_CLASS,
                key_arn=key.key_arn,
                monitoring=monitoring,
                promotion_tier=0 if role == "writer" else 1,
            )
            for role in ("writer", "reader")
        ]
        self.connections = ec2.Connections(
            security_groups=[self.security_group], default_port=ec2.Port.tcp(DB_PORT)
        )
