"""The ECS Fargate service that consumes the region's stream and writes events into Aurora.

Both regions run it; the DR side runs at standby size and the failover runbook scales it up. The
image is built from the repository's ``Dockerfile`` (``ContainerImage.from_asset``; ``-c
processorImage=<uri>`` overrides it with a pushed image). The processor reads its configuration from
the environment (``contracts.processor_environment``); database and cache credentials are ECS
``secrets`` resolved from the imported secrets' JSON keys at task start, never plain environment
values. The task role may read only this region's stream, decrypt with the PHI key, publish metrics
to its one namespace and mount the shared file system over TLS; the execution role may read only the
two secrets. Shard leases and checkpoints live in the database, so no other AWS permission is needed.

Per-shard read budget (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html:
5 ``GetRecords`` calls/s and 2 MiB/s a shard, shared by every classic consumer). Two consumers read
each shard: Firehose, about once a second a shard
(https://docs.aws.amazon.com/firehose/latest/dev/writing-with-kinesis-streams.html), and exactly one
processor task, the lease holder, at most once every ``MIN_READ_INTERVAL_S`` = 0.3 s, i.e. 3.3 calls/s:
4.3 calls/s <= 5. Bytes: each consumer reads what the shard took, at most 1 MiB/s (the write limit),
so two consumers read at most 2 MiB/s; at the sized load (100,000 events/min of 1 KiB over the
stream's shards) it is about 0.85 MiB/s. Tasks: one task per shard at most (a task without a lease
idles), so ``ACTIVE_TASKS`` is capped at the shard count; with 4 tasks each reads one shard and a
killed task's shard is taken over within ``LEASE_TTL_S`` plus a third of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_efs as efs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.constructs.event_stream import shard_count_for
from cdk_app.naming import Naming
from contracts import processor_environment as penv

ACTIVE_TASKS = 4
STANDBY_TASKS = 1
SHARED_MOUNT = "/mnt/shared"
NFS_PORT = 2049
#: The processor image's build context (the repository root; ``.dockerignore`` keeps it to the
#: processor's own packages) and its Dockerfile.
IMAGE_CONTEXT = Path(__file__).resolve().parents[2]
DOCKERFILE = "Dockerfile"
#: The read budget above; the processor's defaults, set explicitly so the template shows them.
MIN_READ_INTERVAL_S = 0.3
LEASE_TTL_S = 10
#: Kinesis actions the processor calls (DescribeStreamSummary for the checkpoint key, ListShards,
#: then GetShardIterator/GetRecords per leased shard).
STREAM_READ_ACTIONS = (
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
)


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
            desired_count=STANDBY_TASKS if standby else min(ACTIVE_TASKS, shard_count_for(config.sizing)),
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

    def _allow_secret_decryption(self, task: ecs.FargateTaskDefinition) -> None:
        """The execution role reads the secrets (granted by ``Secret.from_secrets_manager``); a secret
        encrypted with a customer key also needs ``kms:Decrypt``; the key of an imported secret is
        unknown, so decryption is allowed only through Secrets Manager in this region (``kms:ViaService``,
        https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html)."""
        stack = Stack.of(self)
        task.add_to_execution_role_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[stack.format_arn(service="kms", resource="key", resource_name="*")],
                conditions={
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}
                },
            )
        )

    def _image(self, config: AppConfig) -> ecs.ContainerImage:
        """The image built from the repository's Dockerfile, or the pushed image given as override."""
        if config.processor_image:
            return ecs.ContainerImage.from_registry(config.processor_image)
        return ecs.ContainerImage.from_asset(str(IMAGE_CONTEXT), file=DOCKERFILE)

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
            image=self._image(config),
            command=list(penv.COMMAND),
            logging=ecs.LogDriver.aws_logs(stream_prefix="processor", log_group=logs.log_group),
            environment={
                penv.REGION: Stack.of(self).region,
                penv.STREAM_NAME: wiring.stream_name,
                penv.DB_HOST: wiring.db_host,
                penv.DB_PORT: wiring.db_port,
                penv.DB_NAME: wiring.db_name,
                penv.DB_SSLMODE: "require",  # rds.force_ssl; verify-full needs the RDS CA bundle in the image
                penv.CACHE_HOST: wiring.cache_host,
                penv.CACHE_PORT: wiring.cache_port,
                penv.CACHE_TLS: "true",  # the replication group has TransitEncryptionEnabled
                penv.METRICS_NAMESPACE: penv.DEFAULT_METRICS_NAMESPACE,
                penv.LEASE_TTL_S: str(LEASE_TTL_S),
                penv.MIN_READ_INTERVAL_S: str(MIN_READ_INTERVAL_S),
            },
            secrets={
                variable: ecs.Secret.from_secrets_manager(
                    wiring.db_secret if secret == penv.DB_SECRET else wiring.cache_secret, key
                )
                for variable, (secret, key) in penv.SECRET_SOURCES.items()
            },
            readonly_root_filesystem=True,
        )
        container.add_mount_points(
            ecs.MountPoint(container_path=SHARED_MOUNT, source_volume="shared", read_only=False)
        )
        task.add_to_task_role_policy(
            iam.PolicyStatement(actions=list(STREAM_READ_ACTIONS), resources=[wiring.stream_arn])
        )
        task.add_to_task_role_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],  # PutMetricData has no resource type; the namespace condition scopes it
                conditions={"StringEquals": {"cloudwatch:namespace": penv.DEFAULT_METRICS_NAMESPACE}},
            )
        )
        data_key.grant_decrypt(task.task_role)
        self._allow_secret_decryption(task)
        wiring.file_system.grant(
            task.task_role, "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"
        )
        return task
