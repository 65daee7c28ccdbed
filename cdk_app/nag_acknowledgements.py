"""Every cdk-nag acknowledgement of the app, in one place, each with a specific reason.

An entry names a construct path pattern (fnmatch on the path below the app) and one finding id;
ids may contain ``{suffix}``, ``{primary}`` and ``{dr}`` because some findings quote physical names.
``acknowledge_all`` applies each entry to every matching construct; a test proves every entry still
matches a construct and a finding, so a stale acknowledgement cannot hide a future one. Entries marked
``non_production`` are not applied when the production flag is set (deletion protection then is on).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from aws_cdk import Acknowledgment, App, Validations
from constructs import IConstruct

from cdk_app.config import AppConfig
from contracts.retention import AURORA_BACKUP_RETENTION_DAYS


@dataclass(frozen=True)
class Ack:
    """One acknowledged finding on the constructs whose path matches ``path``."""

    path: str
    rule: str
    reason: str
    non_production: bool = False


_HIPAA = "HIPAA.Security::HIPAA.Security-"
_AWS = "AwsSolutions::AwsSolutions-"
_IAM5 = _AWS + "IAM5"
_FIS_ARN = "arn:<AWS::Partition>:{service}:{{primary}}:<AWS::AccountId>:{resource}"  # FIS: primary only
_PIPELINE_ROLES = "DrDrillPipeline/DrDrill/*Role/DefaultPolicy/Resource"  # fnmatch: '*' spans '/'
#: The principal that runs drills: the control plane's run task (scheduled runs and the pipeline's).
_DRILL_ROLE = "DrillControlPlane/Dagster/RunTaskRole/DefaultPolicy/Resource"
_PIPELINE_DRILL_ROLE = "DrDrillPipeline/DrDrill/Drill/Role/DefaultPolicy/Resource"
_CDK_GRANTS = (
    "CDK's CodePipeline/CodeBuild grants on the pipeline's own artifact bucket and logs key: objects are "
    "per-execution keys and KMS needs the data-key family; scoped to that one bucket and key"
)

ACKNOWLEDGEMENTS: tuple[Ack, ...] = (
    # --- IAM shape -------------------------------------------------------------------------------
    Ack(
        "*/DefaultPolicy/Resource",
        _HIPAA + "IAMNoInlinePolicy",
        "CDK attaches each role's resource-scoped statements as an AWS::IAM::Policy bound to that one role; "
        "a managed policy would add a reusable attachment point without narrowing any permission",
    ),
    Ack(
        "*/Ingest/Api/CloudWatchRole/Resource",
        _AWS + "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonAPIGatewayPushToCloudWatchLogs]",
        "The account-level API Gateway logging role; AWS publishes this exact policy for it",
    ),
    Ack(
        "*/PatientStore/MonitoringRole/Resource",
        _AWS
        + "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",
        "RDS Enhanced Monitoring requires this AWS-maintained service-role policy",
    ),
    Ack(
        "PrimaryServices/Backup/Plan/Selection/Role/Resource",
        _AWS + "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSBackupServiceRolePolicyForBackup]",
        "AWS Backup's service role policy; AWS keeps it in step with the services Backup supports",
    ),
    # --- IAM wildcards that are object keys or AWS-generated ids -------------------------------
    Ack(
        "PrimaryServices/RawArchive/ReplicationRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::<RawArchiveBucket3CBB4637.Arn>/*]",
        "Replication reads every object version of the archive bucket (keys are event batches)",
    ),
    Ack(
        "PrimaryServices/RawArchive/ReplicationRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::arn:<AWS::Partition>:s3:::htdr-raw-archive-{suffix}-<AWS::AccountId>-{dr}/*]",
        "Replication writes every object into the DR replica bucket of this environment only",
    ),
    Ack(
        "PrimaryServices/ArchiveDelivery/DeliveryRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::<RawArchiveBucket3CBB4637.Arn>/*]",
        "Firehose writes time-partitioned object keys into this environment's archive bucket only",
    ),
    Ack(
        "DrServices/ArchiveDelivery/DeliveryRole/DefaultPolicy/Resource",
        _IAM5
        + "[Resource::Htdr-{suffix}-DrFoundation:ExportsOutputFnGetAttRawArchiveBucket3CBB4637ArnC12BAA93/*]",
        "Firehose writes time-partitioned object keys into the DR archive bucket only",
    ),
    Ack(_PIPELINE_ROLES, _IAM5 + "[Resource::<DrDrillArtifacts3C45FE0D.Arn>/*]", _CDK_GRANTS),
    *(
        Ack(_PIPELINE_ROLES, _IAM5 + f"[Action::{action}]", _CDK_GRANTS)
        for action in (
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "s3:GetObject*",
            "s3:GetBucket*",
            "s3:List*",
            "s3:Abort*",
            "s3:DeleteObject*",
        )
    ),
    *(
        Ack(
            f"DrDrillPipeline/DrDrill/{project}/Role/DefaultPolicy/Resource",
            _IAM5 + f"[Resource::{resource}]",
            "CodeBuild's own log group and report groups, named after the project by CodeBuild",
        )
        for project, logical in (("SynthGate", "DrDrillSynthGate15685C6E"), ("Drill", "DrDrill35F0F39D"))
        for resource in (
            f"arn:<AWS::Partition>:logs:{{primary}}:<AWS::AccountId>:log-group:/aws/codebuild/<{logical}>:*",
            f"arn:<AWS::Partition>:codebuild:{{primary}}:<AWS::AccountId>:report-group/<{logical}>-*",
        )
    ),
    *(
        ack
        for role in (_DRILL_ROLE,)
        for ack in (
            Ack(
                role,
                _IAM5 + "[Resource::arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:"
                "stack/Htdr-{suffix}-*/*]",
                "The drill reads outputs of this environment's stacks; stack ARNs end in a generated id",
            ),
            Ack(
                role,
                _IAM5 + "[Resource::arn:<AWS::Partition>:elasticache::<AWS::AccountId>:"
                "globalreplicationgroup:*htdr-sessions-{suffix}]",
                "ElastiCache prefixes the global datastore id with an AWS-chosen string",
            ),
            *(
                Ack(
                    role,
                    _IAM5 + f"[Resource::arn:<AWS::Partition>:ecs:{{{region}}}:<AWS::AccountId>:"
                    "task/htdr-processing-{suffix}/*]",
                    "The drill stops processor tasks (fault injection); task ids are generated by ECS",
                )
                for region in ("primary", "dr")
            ),
            Ack(
                role,
                _IAM5 + "[Resource::*]",
                "cloudwatch:GetMetricData, fis:ListExperimentTemplates and fis:ListExperiments have no "
                "resource-level permissions (AWS-required '*'); they read lag metrics, find the templates "
                "by tag and list a template's experiments for the rollback to stop the running ones",
            ),
            *(
                Ack(
                    role,
                    _IAM5 + f"[Resource::arn:<AWS::Partition>:fis:{{{region}}}:<AWS::AccountId>:{kind}/*]",
                    "FIS ids are generated; StartExperiment is conditioned on the template's Environment "
                    "tag (this suffix), Get/StopExperiment act on the experiments the drill started",
                )
                for region in ("primary", "dr")
                for kind in ("experiment-template", "experiment")
            ),
            *(
                Ack(
                    role,
                    _IAM5 + f"[Resource::arn:<AWS::Partition>:apigateway:{{{region}}}::/restapis/*/stages/*]",
                    "The simulated outage throttles the primary ingest stage and restores it; API ids are "
                    "generated by API Gateway",
                )
                for region in ("primary", "dr")
            ),
            *(
                Ack(
                    role,
                    _IAM5 + f"[Resource::arn:<AWS::Partition>:execute-api:{{{region}}}:<AWS::AccountId>:"
                    "*/*/POST/events]",
                    "The drill's load posts to the ingest route of both regions' APIs, as every client; "
                    "API ids are generated by API Gateway and live in the services stacks",
                )
                for region in ("primary", "dr")
            ),
        )
    ),
    Ack(
        _PIPELINE_DRILL_ROLE,
        _IAM5 + "[Resource::arn:<AWS::Partition>:s3:::htdr-evidence-{suffix}-<AWS::AccountId>-{dr}/"
        "pipeline/*]",
        "The drill stage reads the run's evidence and adds its report under per-build keys of pipeline/",
    ),
    Ack(
        _PIPELINE_DRILL_ROLE,
        _IAM5 + "[Resource::arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/Htdr-{suffix}-*/*]",
        "The drill stage reads outputs of this environment's stacks; stack ARNs end in a generated id",
    ),
    Ack(
        _PIPELINE_DRILL_ROLE,
        _IAM5 + "[Resource::arn:<AWS::Partition>:ecs:{dr}:<AWS::AccountId>:"
        "task-definition/htdr-drill-run-{suffix}:*]",
        "The drill stage runs the control plane's drill-run task definition; ':*' is its revision number",
    ),
    Ack(
        _PIPELINE_DRILL_ROLE,
        _IAM5 + "[Resource::arn:<AWS::Partition>:ecs:{dr}:<AWS::AccountId>:"
        "task/htdr-drill-control-{suffix}/*]",
        "The drill stage watches (and on timeout stops) the run task it started; task ids are generated",
    ),
    Ack(
        _PIPELINE_DRILL_ROLE,
        _IAM5 + "[Resource::arn:<AWS::Partition>:kms:{dr}:<AWS::AccountId>:key/*]",
        "The DR logs and signing keys live in other stacks of another region: named by alias, the "
        "statements are conditioned on kms:ResourceAliases (one alias each)",
    ),
    # --- drill control plane ------------------------------------------------------------------------
    Ack(
        _DRILL_ROLE,
        _IAM5 + "[Resource::<EvidenceBucketC67FF768.Arn>/*]",
        "Drill runs upload journals and reports under per-run keys of the evidence bucket (PutObject only)",
    ),
    Ack(
        "DrillControlPlane/Dagster/*ExecutionRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::*]",
        "ecr:GetAuthorizationToken has no resource-level permissions (AWS-required '*'); image pulls are "
        "scoped to the asset repository by CDK",
    ),
    Ack(
        "DrillControlPlane/Dagster/Webserver/TaskRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::*]",
        "ECS Exec (the UI's SSM port forwarding): ssmmessages channels and logs:DescribeLogGroups have no "
        "resource-level permissions (AWS-required '*')",
    ),
    Ack(
        "DrillControlPlane/Dagster/Webserver/TaskRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::arn:<AWS::Partition>:logs:{dr}:<AWS::AccountId>:log-group:"
        "<DagsterExecLogsGroup60359B3A>:*]",
        "ECS Exec session logs: the log streams of the one exec log group are named per session",
    ),
    Ack(
        "DrillControlPlane/Dagster/Daemon/TaskRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:"
        "task-definition/htdr-drill-run-{suffix}:*]",
        "EcsRunLauncher runs the drill-run task definition; ':*' is its revision number",
    ),
    Ack(
        "DrillControlPlane/Dagster/Daemon/TaskRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:"
        "task/<DagsterClusterB4C7694C>/*]",
        "EcsRunLauncher describes, tags and stops the run tasks of this one cluster; task ids are generated",
    ),
    Ack(
        "DrillControlPlane/Dagster/Daemon/TaskRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::*]",
        "ecs:DescribeTaskDefinition and ec2:DescribeNetworkInterfaces have no resource-level permissions "
        "(AWS-required '*'); EcsRunLauncher copies the daemon's network configuration onto each run",
    ),
    Ack(
        "DrillControlPlane/Evidence/ReplicationRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::<EvidenceBucketC67FF768.Arn>/*]",
        "Replication reads every object version of the evidence bucket (keys are per run)",
    ),
    Ack(
        "DrillControlPlane/Evidence/ReplicationRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::arn:<AWS::Partition>:s3:::htdr-evidence-{suffix}-<AWS::AccountId>-{primary}/*]",
        "Replication writes every object into this environment's evidence replica bucket only",
    ),
    Ack(
        "DrillControlPlane/Evidence/ReplicationRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::arn:<AWS::Partition>:kms:{primary}:<AWS::AccountId>:key/*]",
        "The replica's key lives in another region's stack: named by alias, conditioned on "
        "kms:ResourceAliases",
    ),
    Ack(
        "DrillControlPlane/Dagster/*/Resource",
        _AWS + "ECS2",
        "Only non-secret wiring (database host, port and name, target, suffix, regions) is in the "
        "environment; database credentials come from Secrets Manager",
    ),
    Ack(
        "DrillControlPlane/DagsterDb/MonitoringRole/Resource",
        _AWS
        + "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",
        "RDS Enhanced Monitoring requires this AWS-maintained service-role policy",
    ),
    Ack(
        "DrillControlPlane/DagsterDb/Writer",
        _HIPAA + "RDSInBackupPlan",
        "Dagster run metadata, not PHI: 35-day automated backups; the evidence itself is in the Object "
        "Lock bucket",
    ),
    Ack(
        "DrillControlPlane/DagsterDb/Reader",
        _HIPAA + "RDSInBackupPlan",
        "Dagster run metadata, not PHI: 35-day automated backups; the evidence itself is in the Object "
        "Lock bucket",
    ),
    *(
        Ack(
            "DrillControlPlane/DagsterDb/Cluster",
            rule,
            "Non-production environments must be fully destroyable; the production flag turns protection on",
            non_production=True,
        )
        for rule in (_HIPAA + "RDSInstanceDeletionProtectionEnabled", _AWS + "RDS10")
    ),
    # --- network ---------------------------------------------------------------------------------
    Ack(
        "*Foundation/Network/Vpc/publicSubnet*/DefaultRoute",
        _HIPAA + "VPCNoUnrestrictedRouteToIGW",
        "Public subnets hold only the NAT gateway(s); no workload runs there and no public IPs are assigned",
    ),
    # --- S3 ----------------------------------------------------------------------------------------
    Ack(
        "*Foundation/AccessLogs/Bucket/Resource",
        _HIPAA + "S3BucketLoggingEnabled",
        "This IS the access-log bucket; logging it into itself would loop",
    ),
    Ack(
        "*Foundation/AccessLogs/Bucket/Resource",
        _AWS + "S1",
        "This IS the access-log bucket; logging it into itself would loop",
    ),
    Ack(
        "*Foundation/AccessLogs/Bucket/Resource",
        _HIPAA + "S3DefaultEncryptionKMS",
        "S3 server access log delivery supports only SSE-S3 target buckets; it holds no PHI",
    ),
    Ack(
        "*Foundation/AccessLogs/Bucket/Resource",
        _HIPAA + "S3BucketReplicationEnabled",
        "Access logs are regional operational records, each region keeps its own",
    ),
    Ack(
        "DrFoundation/RawArchive/Bucket/Resource",
        _HIPAA + "S3BucketReplicationEnabled",
        "This is the replication destination of the primary archive (RTC); replicating it back would loop",
    ),
    Ack(
        "PrimaryServices/AuditTrail/Bucket/Resource",
        _HIPAA + "S3BucketReplicationEnabled",
        "The multi-region trail also streams to CloudWatch Logs (encrypted, 6 years); "
        "digest files prove integrity",
    ),
    Ack(
        "DrDrillPipeline/DrDrill/Evidence/Bucket/Resource",
        _HIPAA + "S3BucketReplicationEnabled",
        "This is the replication destination of the control plane's evidence bucket; replicating it "
        "back would loop",
    ),
    Ack(
        "DrDrillPipeline/DrDrill/Source/Resource",
        _HIPAA + "S3BucketReplicationEnabled",
        "Pipeline source bundle, re-uploaded from git; no PHI",
    ),
    Ack(
        "DrDrillPipeline/DrDrill/Artifacts/Resource",
        _HIPAA + "S3BucketReplicationEnabled",
        "Transient pipeline artifacts, regenerated per execution; no PHI",
    ),
    # --- data stores ------------------------------------------------------------------------------
    Ack(
        "DrFoundation/SharedFs/Fs/Resource",
        _HIPAA + "EFSInBackupPlan",
        "Read-only EFS replication destination; the source is backed up daily with a copy into the DR vault",
    ),
    Ack(
        "*Services/PatientStore/Instance*",
        _HIPAA + "RDSInBackupPlan",
        "Aurora is backed up per cluster: the primary cluster is in the daily plan "
        "with a copy to the DR vault, "
        f"plus {AURORA_BACKUP_RETENTION_DAYS}-day automated backups; the DR cluster is a replica of it",
    ),
    Ack(
        "*Services/PatientStore/Cluster",
        _HIPAA + "RDSInstanceDeletionProtectionEnabled",
        "Non-production environments must be fully destroyable; the production flag turns protection on",
        non_production=True,
    ),
    Ack(
        "*Services/PatientStore/Cluster",
        _AWS + "RDS10",
        "Non-production environments must be fully destroyable; the production flag turns protection on",
        non_production=True,
    ),
    Ack(
        "*Services/SessionCache/Group",
        _AWS + "AEC5",
        "A non-default port is obscurity, not a control: TLS, AUTH and a processor-only security group are",
    ),
    Ack(
        "DrServices/SessionCache/Group",
        _AWS + "AEC3",
        "Global-datastore secondary: it inherits TLS (required) and at-rest encryption with the PHI key from "
        "the primary, which sets both; a secondary may not set them (InvalidParameterCombination)",
    ),
    Ack(
        "DrServices/SessionCache/Group",
        _AWS + "AEC6",
        "Global-datastore secondary: it inherits the primary's AUTH token; a secondary may not set "
        "AuthToken (InvalidParameterCombination), the primary sets it from the imported secret",
    ),
    Ack(
        "DrServices/Failover/ApproverRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-execution/*]",
        "Automation execution ids are generated per run, so the approver cannot be scoped to one id in "
        "advance; the role may only signal (approve/reject) or read executions in this account and region",
    ),
    # --- ingest / processing ----------------------------------------------------------------------
    Ack(
        "*Services/Ingest/Api/DeploymentStage.v1/Resource",
        _HIPAA + "APIGWCacheEnabledAndEncrypted",
        "Write-only ingest API (POST): a response cache would replay acknowledgements, never serve data",
    ),
    Ack(
        "*Services/Ingest/Api/Default/events/POST/Resource",
        _AWS + "COG4",
        "Devices authenticate with IAM SigV4 (per-device roles), not Cognito user pools",
    ),
    Ack(
        "*Services/Ingest/Api/Default/health/GET/Resource",
        _AWS + "APIG4",
        "GET /health is a MOCK integration answering a constant for Route 53 health checks (which cannot "
        "sign requests); it reaches no backend and returns no data",
    ),
    Ack(
        "*Services/Ingest/Api/Default/health/GET/Resource",
        _AWS + "COG4",
        "GET /health is a MOCK integration answering a constant for Route 53 health checks (which cannot "
        "sign requests); it reaches no backend and returns no data",
    ),
    Ack(
        "*Services/Stream/Stream/Resource",
        _AWS + "KDS3",
        "Deliberate: the stream uses the customer-managed multi-Region PHI key, stricter than aws/kinesis",
    ),
    Ack(
        "*Services/ArchiveDelivery/Delivery",
        _AWS + "KDF1",
        "Firehose with a Kinesis source cannot set its own SSE; the source stream is KMS-encrypted and "
        "the S3 destination writes with the PHI key",
    ),
    Ack(
        "*Services/Processor/Task/Resource",
        _AWS + "ECS2",
        "Only non-secret wiring (stream name, endpoints, ports) is in the environment; credentials come "
        "from Secrets Manager",
    ),
    Ack(
        "*Services/Processor/Task/TaskRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::*]",
        "cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the "
        "processor's own namespace by the cloudwatch:namespace condition",
    ),
    Ack(
        "*Services/Processor/Task/ExecutionRole/DefaultPolicy/Resource",
        _IAM5 + "[Resource::*]",
        "ecr:GetAuthorizationToken (pulling the processor image) has no resource-level permissions",
    ),
    *(
        Ack(
            f"{stack}Services/Processor/Task/ExecutionRole/DefaultPolicy/Resource",
            _IAM5 + f"[Resource::arn:<AWS::Partition>:kms:{{{region}}}:<AWS::AccountId>:key/*]",
            "The imported secrets' encryption key is not known to the app; kms:Decrypt is allowed only "
            "through Secrets Manager in this region (kms:ViaService condition)",
        )
        for stack, region in (("Primary", "primary"), ("Dr", "dr"))
    ),
    # --- FIS experiments (the aws drill target's faults) ---------------------------------------------
    *(
        Ack("*Services/Fis/Role/DefaultPolicy/Resource", _IAM5 + f"[Resource::{resource}]", reason)
        for resource, reason in (
            ("*", "FIS resolves targets with Describe*/tag:GetResources (no resource-level permissions); "
             "ECS Describe/ListTasks and CreateNetworkAcl are limited by conditions to this cluster and "
             "to FIS-tagged ACLs"),
            (_FIS_ARN.format(service="ecs", resource="task/htdr-processing-{suffix}/*"),
             "tasks of this environment's processor cluster only (task ids are generated)"),
            (_FIS_ARN.format(service="ec2", resource="network-acl/*"),
             "the ACL FIS creates has a generated id; changes are limited to managedByFIS=true ACLs"),
            (_FIS_ARN.format(service="elasticache", resource="replicationgroup:*"),
             "AZ power interruption only on groups tagged with this environment"),
        )
    ),
    # --- pipeline ---------------------------------------------------------------------------------
    Ack(
        "DrDrillPipeline/DrDrill/*/Resource",
        _HIPAA + "CodeBuildProjectSourceRepoUrl",
        "Projects take their source from CodePipeline (S3 artifact); no repository URL or token exists",
    ),
)


def construct_paths(app: App) -> list[tuple[str, IConstruct]]:
    """Every construct with its path, read once (each jsii call is slow; the app has thousands)."""
    return [(c.node.path, c) for c in app.node.find_all()]


def matching(paths: list[tuple[str, IConstruct]], ack: Ack) -> list[IConstruct]:
    """Constructs that ``ack`` applies to."""
    return [construct for path, construct in paths if path and fnmatchcase(path, ack.path)]


def rule_id(ack: Ack, config: AppConfig) -> str:
    """The finding id with the environment's physical-name parts filled in."""
    return ack.rule.format(
        suffix=config.environment_suffix, primary=config.primary_region, dr=config.dr_region
    )


def applicable(config: AppConfig) -> list[Ack]:
    """The acknowledgements in force for ``config`` (production drops the non-production ones)."""
    return [ack for ack in ACKNOWLEDGEMENTS if not (config.production and ack.non_production)]


def acknowledge_all(app: App, config: AppConfig) -> None:
    """Apply every acknowledgement in force (before synthesis, so the plugins see them)."""
    paths = construct_paths(app)
    for ack in applicable(config):
        for construct in matching(paths, ack):
            Validations.of(construct).acknowledge(Acknowledgment(id=rule_id(ack, config), reason=ack.reason))
