"""The drill control plane: Dagster on ECS, its PostgreSQL storage, the evidence bucket, the signing key.

It lives in the DR region, not the primary: the control plane exists to run (and keep measuring
through) a primary-region outage, and the tool that measures an outage cannot live in the region it is
about to fail. Evidence is written here first for the same reason, then replicated to the primary.
"""

from __future__ import annotations

from aws_cdk import Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_app.arns import account_arn
from cdk_app.config import AppConfig
from cdk_app.constructs.dagster_database import DB_NAME as DAGSTER_DB_NAME
from cdk_app.constructs.dagster_database import DB_PORT as DAGSTER_DB_PORT
from cdk_app.constructs.dagster_database import DagsterDatabase
from cdk_app.constructs.dagster_service import DagsterService, DagsterWiring
from cdk_app.constructs.drill_permissions import DrillPermissions, secret_grant_arn
from cdk_app.constructs.evidence_bucket import EvidenceBucket, EvidenceReplica, evidence_bucket_name
from cdk_app.constructs.patient_store import DB_PORT as PATIENT_DB_PORT
from cdk_app.constructs.rotating_key import rotating_key
from cdk_app.constructs.session_cache import CACHE_PORT
from cdk_app.constructs.signing_key import ReportSigningKey
from cdk_app.naming import Naming
from cdk_app.outputs import emit
from cdk_app.secrets import import_secret
from cdk_app.stacks.foundation_stack import FoundationStack
from cdk_app.stacks.services_stack import ServicesStack
from contracts.outputs import OutputKey

STACK_ROLE = "DrillControlPlane"


class ControlPlaneStack(Stack):
    """Dagster webserver + daemon + per-run Fargate tasks, Aurora Serverless v2, evidence, signing."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        foundation: FoundationStack,
        services: ServicesStack,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            stack_name=naming.stack(STACK_ROLE),
            env=Environment(region=config.dr_region),
            description=f"HealthTech DR {naming.suffix}: drill control plane (Dagster), evidence, signing",
        )
        network, keys = foundation.network, foundation.keys
        key = rotating_key(
            self,
            "Key",
            config=config,
            alias=naming.alias("drill-control"),
            description=f"Drill control plane storage key ({naming.suffix})",
        )
        dagster_secret = import_secret(self, "DagsterDbSecret", config.control_plane_db_secret)
        self.database = DagsterDatabase(
            self,
            "DagsterDb",
            config=config,
            naming=naming,
            secret=config.control_plane_db_secret,
            vpc=network.vpc,
            subnets=network.data_subnets,
            key=key,
        )
        self.evidence = EvidenceBucket(
            self,
            "Evidence",
            config=config,
            naming=naming,
            region=config.dr_region,
            key=keys.logs_key,
            access_logs=foundation.access_logs.bucket,
            replicate_to=EvidenceReplica(
                region=config.primary_region,
                bucket_name=evidence_bucket_name(naming, config.primary_region),
                key_alias=naming.alias("logs"),
            ),
        )
        self.signing = ReportSigningKey(self, "ReportSigning", config=config, naming=naming)
        self.dagster = DagsterService(
            self,
            "Dagster",
            config=config,
            naming=naming,
            vpc=network.vpc,
            subnets=network.app_subnets,
            wiring=DagsterWiring(
                db_host=self.database.cluster.attr_endpoint_address,
                db_port=str(DAGSTER_DB_PORT),
                db_name=DAGSTER_DB_NAME,
                db_secret=dagster_secret,
                environment_suffix=config.environment_suffix,
                primary_region=config.primary_region,
                dr_region=config.dr_region,
                # a production deployment is never drilled; any other allows its own suffix only
                allowlist="" if config.production else config.environment_suffix,
            ),
            logs_key=keys.logs_key,
        )
        self.database.connections.allow_default_port_from(self.dagster.security_group)
        self._grant_runs(config, naming, foundation)
        self._reach_dr_stores(services)
        emit(self, OutputKey.EVIDENCE_BUCKET_NAME, self.evidence.bucket.bucket_name, "Evidence (Object Lock)")
        emit(self, OutputKey.REPORT_SIGNING_KEY_ARN, self.signing.key.key_arn, "Report manifest signing key")

    def _grant_runs(self, config: AppConfig, naming: Naming, foundation: FoundationStack) -> None:
        """A drill run: the drill permissions, evidence upload, manifest signing."""
        role = self.dagster.run_task.task_role
        # the drill reads each secret in both regions (the DR side reads its replica)
        secrets = [
            secret_grant_arn(import_secret(self, f"Run{name}", existing), existing)
            for name, existing in (("Db", config.db_secret), ("Cache", config.cache_secret))
        ] + [
            existing.name_or_arn
            if existing.is_arn
            else account_arn("secretsmanager", config.primary_region, f"secret:{existing.name_or_arn}-??????")
            for existing in (config.db_secret, config.cache_secret)
        ]
        DrillPermissions(
            naming=naming,
            primary_region=config.primary_region,
            dr_region=config.dr_region,
            secret_arns=secrets,
            data_key_arns=[
                foundation.keys.data_key_arn_in(region)
                for region in (config.primary_region, config.dr_region)
            ],
        ).grant(role)
        # new objects only (the bucket's default retention locks them); no overwrite of retention
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[self.evidence.bucket.arn_for_objects("*")]
            )
        )
        foundation.keys.logs_key.grant(role, "kms:GenerateDataKey", "kms:Encrypt")
        self.signing.grant_sign(role)

    def _reach_dr_stores(self, services: ServicesStack) -> None:
        """Ingress on the DR Aurora and cache groups, created HERE so the services stack never
        depends on the control plane (it deploys first and can be drilled without it)."""
        for name, group, port in (
            ("PatientDb", services.store.security_group, PATIENT_DB_PORT),
            ("Cache", services.cache.security_group, CACHE_PORT),
        ):
            ec2.CfnSecurityGroupIngress(
                self,
                f"RunsTo{name}",
                group_id=group.security_group_id,
                source_security_group_id=self.dagster.security_group.security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description="Drill runs of the control plane",
            )
