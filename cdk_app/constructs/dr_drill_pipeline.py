"""The DR-testing pipeline: source → synth + compliance gate → DR drill in the VPC → evidence in S3.

Runs weekly (EventBridge) and on demand. The drill stage is a CodeBuild project inside the VPC's app
subnets: it writes ``cfn-outputs/flat-outputs.json`` from the deployed stacks, runs the Dagster drill
job against them and uploads the journal and report to the evidence bucket. Artifacts and logs are
encrypted with the region's logs key; nothing in the pipeline holds PHI.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.arns import GLOBAL, account_arn
from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_bucket import encrypted_bucket
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.data_classification import mark_internal
from cdk_app.naming import Naming

SOURCE_KEY = "source/htdr.zip"
DRILL_SCENARIO = "planned_switchover"  # the non-destructive drill (switchover, RPO 0)
WEEKLY = events.Schedule.cron(week_day="MON", hour="4", minute="0")


@dataclass(frozen=True)
class DrillPermissions:
    """Exactly what the drill may act on (faults, failover, reading outputs and secrets)."""

    naming: Naming
    primary_region: str
    dr_region: str
    secret_arns: list[str]
    data_key_arns: list[str]

    def resource_arns(self) -> list[str]:
        """Global DB, both clusters, global datastore, both cache groups, both ECS services (and
        their tasks), both streams. The global datastore id carries an AWS-chosen prefix, hence
        its leading wildcard; task ids are random, hence ``task/<cluster>/*``."""
        n = self.naming
        arns = [
            account_arn("rds", GLOBAL, f"global-cluster:{n.global_cluster_id()}"),
            account_arn("elasticache", GLOBAL, f"globalreplicationgroup:*{n.name('sessions')}"),
        ]
        for side, region in (("primary", self.primary_region), ("dr", self.dr_region)):
            arns += [
                account_arn("rds", region, f"cluster:{n.db_cluster_id(side)}"),
                account_arn("elasticache", region, f"replicationgroup:{n.cache_group_id(side)}"),
                account_arn("ecs", region, f"service/{n.name('processing')}/{n.name('processor')}"),
                account_arn("ecs", region, f"task/{n.name('processing')}/*"),
                account_arn("kinesis", region, f"stream/{n.name('events')}"),
            ]
        return arns


def _bucket(
    scope: Construct, construct_id: str, *, name: str, config: AppConfig, key: kms.IKey, logs: s3.IBucket
) -> s3.Bucket:
    """A pipeline bucket: source, artifacts and drill evidence are code, templates and measurements,
    never PHI (drill evidence carries no PHI-like values by design), hence classified Internal."""
    bucket = encrypted_bucket(
        scope,
        construct_id,
        config=config,
        name=name,
        key=key,
        access_logs=logs,
        log_prefix=f"{construct_id.lower()}/",
    )
    mark_internal(bucket)
    return bucket


def _build_spec(commands: list[str], reports: str | None = None) -> codebuild.BuildSpec:
    spec: dict = {"version": "0.2", "phases": {"build": {"commands": commands}}}
    if reports:
        spec["artifacts"] = {"files": ["**/*"], "base-directory": reports}
    return codebuild.BuildSpec.from_object(spec)


class DrDrillPipeline(Construct):
    """CodePipeline V2 with the three stages and a weekly trigger."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        region: str,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        logs_key: kms.IKey,
        access_logs: s3.IBucket,
        permissions: DrillPermissions,
    ) -> None:
        super().__init__(scope, construct_id)
        self.evidence, source_bucket, artifacts = (
            _bucket(
                self,
                construct,
                name=naming.bucket(purpose, region),
                config=config,
                key=logs_key,
                logs=access_logs,
            )
            for construct, purpose in (
                ("Evidence", "evidence"),
                ("Source", "pipeline-source"),
                ("Artifacts", "pipeline-artifacts"),
            )
        )
        build_logs = EncryptedLogGroup(
            self, "BuildLogs", config=config, name=f"/htdr/{naming.suffix}/dr-pipeline", key=logs_key
        )
        context = (
            f"-c environmentSuffix={config.environment_suffix} -c primaryRegion={config.primary_region} "
            f"-c drRegion={config.dr_region} -c dbSecret={config.db_secret.name_or_arn} "
            f"-c cacheSecret={config.cache_secret.name_or_arn}"
        )
        synth = self._project(
            "SynthGate",
            name=naming.name("synth-gate"),
            key=logs_key,
            logs=build_logs,
            spec=_build_spec(
                [
                    "./scripts/bootstrap.sh",
                    f"PATH=$PWD/.venv/bin:$PATH .tools/bin/cdk synth --quiet {context}",
                    "./dev htdr gate run --templates cdk.out --out reports/gate",
                ],
                reports="reports",
            ),
        )
        drill = self._project(
            "Drill",
            name=naming.name("dr-drill"),
            key=logs_key,
            logs=build_logs,
            spec=_build_spec(
                [
                    "./scripts/bootstrap.sh",
                    f".venv/bin/python -m cdk_app.flat_outputs --suffix {config.environment_suffix} "
                    f"--primary-region {config.primary_region} --dr-region {config.dr_region}",
                    # the drill locates the deployed stacks from cfn-outputs/flat-outputs.json
                    f"HTDR_DRILL_TARGET=aws ./dev htdr drill run {DRILL_SCENARIO} --reports-dir reports",
                    f"aws s3 cp --recursive reports/ s3://{self.evidence.bucket_name}/drills/$CODEBUILD_BUILD_NUMBER/",
                ],
            ),
            vpc=vpc,
            subnets=subnets,
        )
        self._grant_drill(drill, permissions)
        self.evidence.grant_put(drill)
        source_output = codepipeline.Artifact("source")
        self.pipeline = codepipeline.Pipeline(
            self,
            "Pipeline",
            pipeline_name=naming.name("dr-drill"),
            pipeline_type=codepipeline.PipelineType.V2,
            artifact_bucket=artifacts,
            cross_account_keys=False,
            restart_execution_on_update=False,
            stages=[
                codepipeline.StageProps(
                    stage_name="Source",
                    actions=[
                        actions.S3SourceAction(
                            action_name="Source",
                            bucket=source_bucket,
                            bucket_key=SOURCE_KEY,
                            output=source_output,
                            trigger=actions.S3Trigger.NONE,
                        )
                    ],
                ),
                codepipeline.StageProps(
                    stage_name="SynthAndComplianceGate",
                    actions=[
                        actions.CodeBuildAction(action_name="SynthGate", project=synth, input=source_output)
                    ],
                ),
                codepipeline.StageProps(
                    stage_name="DrDrill",
                    actions=[
                        actions.CodeBuildAction(action_name="Drill", project=drill, input=source_output)
                    ],
                ),
            ],
        )
        events.Rule(
            self,
            "Weekly",
            rule_name=naming.name("weekly-drill"),
            schedule=WEEKLY,
            targets=[targets.CodePipeline(self.pipeline)],
        )

    def _project(
        self,
        construct_id: str,
        *,
        name: str,
        key: kms.IKey,
        logs: EncryptedLogGroup,
        spec: codebuild.BuildSpec,
        vpc: ec2.IVpc | None = None,
        subnets: ec2.SubnetSelection | None = None,
    ) -> codebuild.PipelineProject:
        return codebuild.PipelineProject(
            self,
            construct_id,
            project_name=name,
            build_spec=spec,
            encryption_key=key,
            environment=codebuild.BuildEnvironment(
                build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                compute_type=codebuild.ComputeType.MEDIUM,
                privileged=False,
            ),
            logging=codebuild.LoggingOptions(
                cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=logs.log_group)
            ),
            vpc=vpc,
            subnet_selection=subnets,
        )

    def _grant_drill(self, project: codebuild.PipelineProject, permissions: DrillPermissions) -> None:
        """What a drill does: read stack outputs, act on the global DB / cache / ECS, read metrics."""
        prefix = permissions.naming.stack("")
        project.add_to_role_policy(
            iam.PolicyStatement(
                actions=["cloudformation:DescribeStacks"],
                resources=[f"arn:{Aws.PARTITION}:cloudformation:*:{Aws.ACCOUNT_ID}:stack/{prefix}*/*"],
            )
        )
        project.add_to_role_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=permissions.secret_arns)
        )
        project.add_to_role_policy(
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=permissions.data_key_arns)
        )
        project.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "rds:SwitchoverGlobalCluster",
                    "rds:FailoverGlobalCluster",
                    "rds:DescribeGlobalClusters",
                    "rds:DescribeDBClusters",
                    "elasticache:FailoverGlobalReplicationGroup",
                    "elasticache:DescribeGlobalReplicationGroups",
                    "elasticache:DescribeReplicationGroups",
                    "ecs:StopTask",
                    "ecs:UpdateService",
                    "ecs:DescribeServices",
                    "ecs:ListTasks",
                    "kinesis:PutRecords",
                    "kinesis:DescribeStreamSummary",
                ],
                resources=permissions.resource_arns(),
            )
        )
        project.add_to_role_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:GetMetricData"],
                resources=["*"],  # GetMetricData supports no resource-level permissions (AWS-required)
            )
        )
