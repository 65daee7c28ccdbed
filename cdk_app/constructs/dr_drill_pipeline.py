"""The DR-testing pipeline: source → synth + compliance gate → DR drill in the VPC → signed evidence.

Runs weekly (EventBridge) and on demand.

Source: a CodeStar (CodeConnections) connection to the git repository when ``-c sourceConnectionArn``
and ``-c sourceRepository`` are given, so the pipeline's first run (CloudFormation starts one on
creation) already has a source; otherwise an S3 bundle that the README's upload command puts in place
before the first run is started by hand.

Drill stage: a CodeBuild project starts the drill as a run task of the drill control plane
(``htdr.control_plane_drill``) and waits for its verdict, rather than running the drill in CodeBuild:
the drill reads Aurora and the cache over their private endpoints (lag sampled in SQL, loss checked
on the surviving writer, which after a failover is in the DR region), and only the control plane's
run tasks, in the DR VPC, reach them; the same task definition, role and evidence upload serve the
scheduled drills. The stage fails when the drill's exit status is not 0 (its journal is not
"passed": a failed objective or a missing measurement). Afterwards, whatever the outcome, the build
downloads the run's evidence, writes the auditor report (its manifest signed with the control
plane's KMS key), verifies the signature and uploads the report beside the evidence (Object Lock, DR
region). Artifacts and logs are encrypted with the region's logs key; nothing in the pipeline holds
PHI.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_bucket import encrypted_bucket
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.constructs.evidence_bucket import EvidenceBucket, evidence_bucket_name
from cdk_app.data_classification import mark_internal
from cdk_app.naming import Naming
from contracts.control_plane import ControlPlaneNames

SOURCE_KEY = "source/htdr.zip"
DRILL_SCENARIO = "planned_switchover"  # the non-destructive drill (switchover, RPO 0, switched back)
WEEKLY = events.Schedule.cron(week_day="MON", hour="4", minute="0")
EVIDENCE_PREFIX = "pipeline/$CODEBUILD_BUILD_NUMBER"
REPORT_NAME = "report-$CODEBUILD_BUILD_NUMBER"
REPORT_DIR = f"reports/{REPORT_NAME}"


def drill_command(suffix: str, dr_region: str, *, dry_run: bool, scenario: str = DRILL_SCENARIO) -> str:
    """Start the drill on the control plane and wait for its verdict (``--dry-run``: the drill only
    prints its plan)."""
    return (
        f".venv/bin/python -m htdr.control_plane_drill --suffix {suffix} --dr-region {dr_region} "
        f"--scenario {scenario} --evidence-prefix {EVIDENCE_PREFIX}" + (" --dry-run" if dry_run else "")
    )


def drill_build_spec(config: AppConfig, naming: Naming) -> dict:
    """The drill stage's buildspec: outputs → drill on the control plane → evidence down → signed
    report → verify → report up.

    ``post_build`` runs even when the drill failed, so the report of a failed drill is written too;
    the build (and the pipeline) still fails because the ``build`` phase did.
    """
    suffix, dr = config.environment_suffix, config.dr_region
    evidence = f"s3://{evidence_bucket_name(naming, dr)}/{EVIDENCE_PREFIX}"
    return {
        "version": "0.2",
        "phases": {
            "install": {"commands": ["./scripts/bootstrap.sh"]},
            "pre_build": {
                "commands": [
                    f".venv/bin/python -m cdk_app.flat_outputs --suffix {suffix} "
                    f"--primary-region {config.primary_region} --dr-region {dr}"
                ]
            },
            "build": {"commands": [drill_command(suffix, dr, dry_run=False)]},
            "post_build": {
                "commands": [
                    f"aws s3 cp --recursive {evidence}/ reports/ --region {dr}",
                    f"./dev htdr report build --reports-dir reports --out {REPORT_DIR}",
                    f"./dev htdr report verify --signature {REPORT_DIR}",
                    f"aws s3 cp --recursive {REPORT_DIR}/ {evidence}/{REPORT_NAME}/ --region {dr}",
                ]
            },
        },
    }


def _bucket(
    scope: Construct, construct_id: str, *, name: str, config: AppConfig, key: kms.IKey, logs: s3.IBucket
) -> s3.Bucket:
    """A pipeline bucket: source and artifacts are code and templates, never PHI, hence Internal."""
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
    """CodePipeline V2 with the three stages and a weekly trigger, plus the evidence replica bucket."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        region: str,
        logs_key: kms.IKey,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        # the replica of the control plane's evidence bucket (DR region): Object Lock as well
        self.evidence_replica = EvidenceBucket(
            self,
            "Evidence",
            config=config,
            naming=naming,
            region=region,
            key=logs_key,
            access_logs=access_logs,
        )
        source_bucket, artifacts = (
            _bucket(
                self,
                construct,
                name=naming.bucket(purpose, region),
                config=config,
                key=logs_key,
                logs=access_logs,
            )
            for construct, purpose in (("Source", "pipeline-source"), ("Artifacts", "pipeline-artifacts"))
        )
        self.source_bucket = source_bucket
        build_logs = EncryptedLogGroup(
            self, "BuildLogs", config=config, name=f"/htdr/{naming.suffix}/dr-pipeline", key=logs_key
        )
        context = (
            f"-c environmentSuffix={config.environment_suffix} -c primaryRegion={config.primary_region} "
            f"-c drRegion={config.dr_region} -c dbSecret={config.db_secret.name_or_arn} "
            f"-c cacheSecret={config.cache_secret.name_or_arn} "
            f"-c dagsterDbSecret={config.control_plane_db_secret.name_or_arn}"
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
            spec=codebuild.BuildSpec.from_object(drill_build_spec(config, naming)),
        )
        self._grant_drill(drill, config, naming)
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
                    stage_name="Source", actions=[self._source_action(config, source_bucket, source_output)]
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

    @staticmethod
    def _source_action(
        config: AppConfig, bucket: s3.IBucket, output: codepipeline.Artifact
    ) -> codepipeline.IAction:
        source = config.pipeline_source
        if source is None:
            return actions.S3SourceAction(
                action_name="Source",
                bucket=bucket,
                bucket_key=SOURCE_KEY,
                output=output,
                trigger=actions.S3Trigger.NONE,
            )
        return actions.CodeStarConnectionsSourceAction(
            action_name="Source",
            connection_arn=source.connection_arn,
            owner=source.owner,
            repo=source.repository,
            branch=source.branch,
            output=output,
            trigger_on_push=False,  # drills run on the weekly schedule or on demand, not on every push
        )

    def _project(
        self,
        construct_id: str,
        *,
        name: str,
        key: kms.IKey,
        logs: EncryptedLogGroup,
        spec: codebuild.BuildSpec,
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
        )

    @staticmethod
    def _grant_drill(project: codebuild.PipelineProject, config: AppConfig, naming: Naming) -> None:
        """Read the stacks' outputs; start, watch and (on timeout) stop the control plane's drill run
        task, passing its two named roles; read the run's evidence and add the signed report. The
        control plane is another region's stack: everything is named (bucket by name, keys by alias)."""
        dr, names = config.dr_region, ControlPlaneNames(naming.suffix)
        ecs = f"arn:{Aws.PARTITION}:ecs:{dr}:{Aws.ACCOUNT_ID}"
        bucket = f"arn:{Aws.PARTITION}:s3:::{evidence_bucket_name(naming, dr)}"
        keys = f"arn:{Aws.PARTITION}:kms:{dr}:{Aws.ACCOUNT_ID}:key/*"
        statements = [
            iam.PolicyStatement(
                actions=["cloudformation:DescribeStacks"],
                resources=[
                    f"arn:{Aws.PARTITION}:cloudformation:*:{Aws.ACCOUNT_ID}:stack/{naming.stack('')}*/*"
                ],
            ),
            iam.PolicyStatement(
                actions=["ecs:DescribeServices"],
                resources=[f"{ecs}:service/{names.cluster}/{names.daemon_service}"],
            ),
            iam.PolicyStatement(
                actions=["ecs:RunTask"],
                resources=[f"{ecs}:task-definition/{names.run_task_family}:*"],
                conditions={"ArnEquals": {"ecs:cluster": f"{ecs}:cluster/{names.cluster}"}},
            ),
            iam.PolicyStatement(
                actions=["ecs:DescribeTasks", "ecs:StopTask", "ecs:TagResource"],
                resources=[f"{ecs}:task/{names.cluster}/*"],
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[
                    f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{names.run_role(kind)}"
                    for kind in ("task", "execution")
                ],
                conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket],
                conditions={"StringLike": {"s3:prefix": ["pipeline/*"]}},
            ),
            iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[f"{bucket}/pipeline/*"]),
        ]
        for actions_, alias in (
            (["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"], naming.alias("logs")),
            (["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"], naming.alias("report-signing")),
        ):
            statements.append(
                iam.PolicyStatement(
                    actions=actions_,
                    resources=[keys],
                    conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
                )
            )
        for statement in statements:
            project.add_to_role_policy(statement)
