"""The ECS Fargate service that consumes the region's stream and writes events into Aurora.

Both regions run it; the DR side runs at standby size and the failover runbook scales it up. The
task role may read only this region's stream, decrypt with the PHI key and mount the shared file
system over TLS; database and cache credentials come from the imported secrets, never from env.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_efs as efs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.naming import Naming

ACTIVE_TASKS = 4
STANDBY_TASKS = 1
SHARED_MOUNT = "/mnt/shared"
NFS_PORT = 2049


@dataclass(frozen=True)
class ProcessorWiring:
    """What the processor connects to in its region."""

    stream_name: str
    stream_arn: str
    db_host: str
    db_port: str
    db_name: str
    cache_host: str
    cache_port: str
    db_secret: sm.ISecret
    cache_secret: sm.ISecret
    file_system: efs.IFileSystem


class ProcessorService(Construct):
    """Fargate service in the app subnets with Container Insights and encrypted logs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        wiring: ProcessorWiring,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        standby: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=naming.name("processing"),
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        logs = EncryptedLogGroup(
            self, "Logs", config=config, name=f"/htdr/{naming.suffix}/processor", key=logs_key
        )
        task = self._task_definition(config, naming, wiring, data_key, logs)
        self.security_group = ec2.SecurityGroup(
            self,
            "Sg",
            vpc=vpc,
            security_group_name=naming.name("processor"),
            description="Processor tasks: egress to AWS endpoints, Aurora, cache and EFS only",
            allow_all_outbound=True,
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=naming.name("processor"),
            cluster=self.cluster,
            task_definition=task,
            desired_count=STANDBY_TASKS if standby else ACTIVE_TASKS,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            min_healthy_percent=100,
            enable_execute_command=False,
        )
        self._allow_nfs(wiring.file_system)

    def _allow_nfs(self, file_system: efs.IFileSystem) -> None:
        """Ingress rule on the file system's SG, created HERE: the DR file system lives in the
        foundation stack, and a rule there would make the foundation depend on this stack."""
        for index, group in enumerate(file_system.connections.security_groups):
            ec2.CfnSecurityGroupIngress(
                self,
                f"NfsFromProcessor{index}",
                group_id=group.security_group_id,
                source_security_group_id=self.security_group.security_group_id,
                ip_protocol="tcp",
                from_port=NFS_PORT,
                to_port=NFS_PORT,
                description="NFS (TLS) from the processor",
            )

    def _task_definition(
        self,
        config: AppConfig,
        naming: Naming,
        wiring: ProcessorWiring,
        data_key: kms.IKey,
        logs: EncryptedLogGroup,
    ) -> ecs.FargateTaskDefinition:
        task = ecs.FargateTaskDefinition(
            self, "Task", family=naming.name("processor"), cpu=1024, memory_limit_mib=2048
        )
        task.add_volume(
            name="shared",
            efs_volume_configuration=ecs.EfsVolumeConfiguration(
                file_system_id=wiring.file_system.file_system_id,
                transit_encryption="ENABLED",
                authorization_config=ecs.AuthorizationConfig(iam="ENABLED"),
            ),
        )
        container = task.add_container(
            "processor",
            image=ecs.ContainerImage.from_registry(config.processor_image),
            command=["python", "-m", "drills.pipeline.processor"],
            logging=ecs.LogDriver.aws_logs(stream_prefix="processor", log_group=logs.log_group),
            environment={
                "HTDR_STREAM_NAME": wiring.stream_name,
                "HTDR_DB_HOST": wiring.db_host,
                "HTDR_DB_PORT": wiring.db_port,
                "HTDR_DB_NAME": wiring.db_name,
                "HTDR_CACHE_HOST": wiring.cache_host,
                "HTDR_CACHE_PORT": wiring.cache_port,
                "HTDR_SHARED_DIR": SHARED_MOUNT,
            },
            secrets={
                "HTDR_DB_USER": ecs.Secret.from_secrets_manager(wiring.db_secret, "username"),
                "HTDR_DB_PASSWORD": ecs.Secret.from_secrets_manager(wiring.db_secret, "password"),
                "HTDR_CACHE_AUTH_TOKEN": ecs.Secret.from_secrets_manager(wiring.cache_secret, "authToken"),
            },
            readonly_root_filesystem=True,
        )
        container.add_mount_points(
            ecs.MountPoint(container_path=SHARED_MOUNT, source_volume="shared", read_only=False)
        )
        task.add_to_task_role_policy(
            iam.PolicyStatement(
                actions=[
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetShardIterator",
                    "kinesis:GetRecords",
                    "kinesis:ListShards",
                ],
                resources=[wiring.stream_arn],
            )
        )
        data_key.grant_decrypt(task.task_role)
        wiring.file_system.grant(
            task.task_role, "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"
        )
        return task
