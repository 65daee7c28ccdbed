"""Dagster on ECS Fargate: webserver, daemon, and one Fargate task per drill run (EcsRunLauncher).

All three run the control-plane image built from this repository (``docker/control-plane.Dockerfile``,
``DockerImageAsset``: synthesis only stages the files, the image is built at deploy time). The instance
configuration is ``dagster_home/dagster.aws.yaml``: PostgreSQL storage, the daemon's scheduler, the
queued run coordinator (one drill at a time) and ``EcsRunLauncher`` with the run task definition
defined here, so a run never registers task definitions and its role is fixed in this file.

The UI is never exposed: the webserver binds 127.0.0.1 inside its task, no security group admits
anything, and there is no load balancer. An operator reaches it with SSM port forwarding through ECS
Exec (``AWS-StartPortForwardingSession`` on the webserver task), authenticated and authorised by IAM
(``ssm:StartSession`` / ``ecs:ExecuteCommand``) and logged to CloudTrail and the encrypted exec log.

Network reach of a run: the run task sits in the DR VPC's app subnets. Two kinds of traffic, kept apart:

- Recovery actions (Aurora switchover/failover, cache global datastore failover, ECS scaling, FIS,
  CloudWatch, Kinesis, the IAM-signed ingest API) go through each region's AWS API endpoints only (the
  DR region's through the VPC's interface endpoints, the primary's over the NAT gateway), never over
  the peering, so they keep working while the primary's private network is impaired.
- Observation of the primary (its Aurora store and the processor's committed checkpoints over SQL, its
  cache, the writer health probe) goes over an inter-region VPC peering connection between the DR VPC
  and the primary VPC (``drill_peering``, ``drill_peering_return``): the DR app subnets route to the
  primary's data subnets, whose Aurora and cache security groups admit those subnets' ranges. When the
  primary is impaired that observation fails, and the drill must see exactly that (a writer that
  looks down, a drain rule that cannot be met); it never needs the path to recover. The region-outage
  experiment's deny-all on the primary data subnets (``fis_experiments``) cuts this path too.

Peering, not a Transit Gateway: there are two VPCs and one pair, no transitive routing is needed (no
third network, no on-premises link), and peering has no hourly charge ("With VPC peering you only pay
for data transfer charges. Transit Gateway has an hourly charge per attachment in addition to the data
transfer fees", https://docs.aws.amazon.com/whitepapers/latest/building-scalable-secure-multi-vpc-network-infrastructure/transit-gateway-vs-vpc-peering.html;
across regions that is a gateway per region, two VPC attachments and a gateway peering attachment). Not a run
task per region either: ``EcsRunLauncher`` launches every run into the one cluster (one region) of its
instance configuration, and a drill is one run that must measure both sides on one clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration, IgnoreMode
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.naming import Naming
from contracts.control_plane import RUN_CONTAINER, ControlPlaneNames

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = "docker/control-plane.Dockerfile"
#: The image needs the project's packages, its lock and the Dagster instance/workspace files only.
IMAGE_FILES = (
    "pyproject.toml",
    "uv.lock",
    "workspace.yaml",
    "contracts",
    "cdk_app",
    "drills",
    "compliance",
    "htdr",
    "dagster_home",
    "docker",
)
WEBSERVER_PORT = 3000
DAGSTER_HOME = "/tmp/dagster_home"  # the entrypoint copies the instance yaml here (read-only root fs)
SCRATCH = "/tmp"
HEALTHCHECK = "/usr/local/bin/control-plane-healthcheck"  # docker/control-plane-healthcheck.sh


@dataclass(frozen=True)
class DagsterWiring:
    """What the Dagster processes connect to, and the drill target they are configured for."""

    db_host: str
    db_port: str
    db_name: str
    db_secret: sm.ISecret
    environment_suffix: str
    primary_region: str
    dr_region: str
    allowlist: str


class DagsterService(Construct):
    """ECS cluster with the webserver and daemon services and the run task definition."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        wiring: DagsterWiring,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self._wiring = wiring
        names = ControlPlaneNames(naming.suffix)
        self.image = ecs.ContainerImage.from_asset(
            str(PROJECT_ROOT),
            file=DOCKERFILE,
            exclude=["*", *(f"!{path}" for path in IMAGE_FILES), "**/__pycache__", "cdk_app/cli"],
            ignore_mode=IgnoreMode.DOCKER,
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        self.logs = EncryptedLogGroup(
            self, "Logs", config=config, name=f"/htdr/{naming.suffix}/drill-control-plane", key=logs_key
        )
        exec_logs = EncryptedLogGroup(
            self, "ExecLogs", config=config, name=f"/htdr/{naming.suffix}/drill-control-exec", key=logs_key
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=names.cluster,
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
            execute_command_configuration=ecs.ExecuteCommandConfiguration(
                kms_key=logs_key,
                logging=ecs.ExecuteCommandLogging.OVERRIDE,
                log_configuration=ecs.ExecuteCommandLogConfiguration(
                    cloud_watch_log_group=exec_logs.log_group, cloud_watch_encryption_enabled=True
                ),
            ),
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "Sg",
            vpc=vpc,
            security_group_name=naming.name("drill-control"),
            description="Dagster webserver, daemon and run tasks: no inbound; egress to AWS APIs and stores",
            allow_all_outbound=True,
        )
        self._run_family = names.run_task_family
        # named roles: the pipeline (another region's stack) passes them when it launches a drill run
        task_role, execution_role = (
            iam.Role(
                self,
                f"Run{kind.capitalize()}Role",
                role_name=names.run_role(kind),
                assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            )
            for kind in ("task", "execution")
        )
        self.run_task = self._task(
            "Run", self._run_family, cpu=1024, memory=4096, roles=(task_role, execution_role)
        )
        self._container(self.run_task, RUN_CONTAINER, command=None, outputs=True)
        self.webserver = self._service(
            "Webserver",
            names.webserver_service,
            [
                "dagster-webserver",
                "--host",
                "127.0.0.1",
                "--port",
                str(WEBSERVER_PORT),
                "--workspace",
                "workspace.yaml",
            ],
            subnets,
            execute_command=True,
        )
        self.daemon = self._service(
            "Daemon",
            names.daemon_service,
            ["dagster-daemon", "run", "--workspace", "workspace.yaml"],
            subnets,
            execute_command=False,
        )
        self._allow_launching_runs(self.daemon.task_definition.task_role)

    def _task(
        self,
        construct_id: str,
        family: str,
        *,
        cpu: int,
        memory: int,
        roles: tuple[iam.IRole, iam.IRole] | None = None,
    ) -> ecs.FargateTaskDefinition:
        task = ecs.FargateTaskDefinition(
            self,
            construct_id,
            family=family,
            cpu=cpu,
            memory_limit_mib=memory,
            task_role=roles[0] if roles else None,
            execution_role=roles[1] if roles else None,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        task.add_volume(name="scratch")  # task-local ephemeral storage: the only writable path
        return task

    def _container(
        self, task: ecs.FargateTaskDefinition, name: str, *, command: list[str] | None, outputs: bool
    ) -> ecs.ContainerDefinition:
        w = self._wiring
        container = task.add_container(
            name,
            image=self.image,
            command=command,
            essential=True,
            readonly_root_filesystem=True,
            # a run is healthy while it runs; the webserver and daemon are probed (same script as the
            # image's HEALTHCHECK, which ECS does not read)
            health_check=None
            if name == RUN_CONTAINER
            else ecs.HealthCheck(command=["CMD", HEALTHCHECK], start_period=Duration.seconds(90)),
            logging=ecs.LogDriver.aws_logs(stream_prefix=name, log_group=self.logs.log_group),
            environment={
                "DAGSTER_HOME": DAGSTER_HOME,
                "HTDR_ROLE": name,  # docker/control-plane-healthcheck.sh checks this role
                "DAGSTER_PG_HOST": w.db_host,
                "DAGSTER_PG_PORT": w.db_port,
                "DAGSTER_PG_DB": w.db_name,
                "DAGSTER_RUN_TASK_DEFINITION": self._run_family,
                "HTDR_DRILL_TARGET": "aws",
                "HTDR_ENVIRONMENT_SUFFIX": w.environment_suffix,
                "HTDR_PRIMARY_REGION": w.primary_region,
                "HTDR_DR_REGION": w.dr_region,
                "HTDR_DRILL_ALLOWLIST": w.allowlist,
                # the entrypoint writes the outputs file from the stacks before a run
                "HTDR_WRITE_OUTPUTS": "1" if outputs else "0",
                "HTDR_OUTPUTS_FILE": f"{SCRATCH}/cfn-outputs/flat-outputs.json",
                "HTDR_REPORTS_DIR": f"{SCRATCH}/reports",
            },
            secrets={
                "DAGSTER_PG_USERNAME": ecs.Secret.from_secrets_manager(w.db_secret, "username"),
                "DAGSTER_PG_PASSWORD": ecs.Secret.from_secrets_manager(w.db_secret, "password"),
            },
        )
        container.add_mount_points(
            ecs.MountPoint(container_path=SCRATCH, source_volume="scratch", read_only=False)
        )
        return container

    def _service(
        self,
        construct_id: str,
        name: str,
        command: list[str],
        subnets: ec2.SubnetSelection,
        *,
        execute_command: bool,
    ) -> ecs.FargateService:
        task = self._task(construct_id, name, cpu=1024, memory=2048)
        self._container(task, construct_id.lower(), command=command, outputs=False)
        return ecs.FargateService(
            self,
            f"{construct_id}Service",
            service_name=name,
            cluster=self.cluster,
            task_definition=task,
            desired_count=1,  # one daemon ever; one webserver is enough behind port forwarding
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            min_healthy_percent=0,  # a single daemon: stop the old one before the new one starts
            max_healthy_percent=100,
            enable_execute_command=execute_command,
        )

    def _allow_launching_runs(self, role: iam.IRole) -> None:
        """What EcsRunLauncher calls from the daemon (dagster_aws.ecs.launcher): RunTask on the run
        task definition (passing its two roles), DescribeTasks/StopTask on this cluster's tasks, and
        the look-ups it makes to copy the daemon's own network configuration onto the run."""
        run = self.run_task
        family_arn = f"arn:{Aws.PARTITION}:ecs:{Aws.REGION}:{Aws.ACCOUNT_ID}:task-definition/{run.family}:*"
        tasks_arn = (
            f"arn:{Aws.PARTITION}:ecs:{Aws.REGION}:{Aws.ACCOUNT_ID}:task/{self.cluster.cluster_name}/*"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ecs:RunTask"],
                resources=[family_arn],
                conditions={"ArnEquals": {"ecs:cluster": self.cluster.cluster_arn}},
            )
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=["ecs:TagResource"], resources=[tasks_arn]))
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ecs:DescribeTasks", "ecs:StopTask"], resources=[tasks_arn])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[run.task_role.role_arn, run.obtain_execution_role().role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                # neither call supports resource-level permissions (AWS-required "*")
                actions=["ecs:DescribeTaskDefinition", "ec2:DescribeNetworkInterfaces"],
                resources=["*"],
            )
        )
