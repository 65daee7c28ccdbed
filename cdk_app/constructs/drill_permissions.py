"""What a drill run may do against this environment, granted to the control plane's run task.

Every drill runs as that task, whether Dagster's schedule or the pipeline's stage started it: read the
stacks' outputs and the imported secrets, decrypt with the PHI key, act on the global database /
global datastore / processor services (faults, failover, scaling), read the streams (consumer lag),
send the drill's load through both regions' ingest APIs (IAM-authorised, as every client) and read
metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as sm

from cdk_app.arns import GLOBAL, account_arn
from cdk_app.config import ExistingSecret
from cdk_app.naming import Naming
from contracts import ingest

DRILL_ACTIONS = (
    "rds:SwitchoverGlobalCluster",
    "rds:FailoverGlobalCluster",
    "rds:DescribeGlobalClusters",
    "rds:DescribeDBClusters",
    "elasticache:FailoverGlobalReplicationGroup",
    "elasticache:DescribeGlobalReplicationGroups",
    "elasticache:DescribeReplicationGroups",
    # cache_failover: the primary group's node group fails over to its replica
    "elasticache:TestFailover",
    "ecs:StopTask",
    "ecs:UpdateService",
    "ecs:DescribeServices",
    "ecs:ListTasks",
    # the consumer-lag probe: the first record after the processor's checkpoint, per shard
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
)


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

    def statements(self) -> list[iam.PolicyStatement]:
        """The policy statements of a drill runner."""
        prefix = self.naming.stack("")
        return [
            iam.PolicyStatement(
                actions=["cloudformation:DescribeStacks"],
                resources=[f"arn:{Aws.PARTITION}:cloudformation:*:{Aws.ACCOUNT_ID}:stack/{prefix}*/*"],
            ),
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=self.secret_arns),
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=self.data_key_arns),
            iam.PolicyStatement(actions=list(DRILL_ACTIONS), resources=self.resource_arns()),
            iam.PolicyStatement(
                # none supports resource-level permissions (AWS-required "*"): lag metrics, the FIS
                # templates of this environment, found by their tags, and the experiments of a template
                # (a rollback lists them to stop the running ones)
                actions=["cloudwatch:GetMetricData", "fis:ListExperimentTemplates", "fis:ListExperiments"],
                resources=["*"],
            ),
            *self._faults_and_ingest(),
        ]

    def _faults_and_ingest(self) -> list[iam.PolicyStatement]:
        """FIS experiments from this environment's templates (started with the templates' own roles),
        and the ingest stages' throttling (the simulated outage blocks the primary's ingest)."""
        n, regions = self.naming, (self.primary_region, self.dr_region)
        return [
            iam.PolicyStatement(
                actions=["fis:StartExperiment"],
                resources=[account_arn("fis", r, "experiment-template/*") for r in regions]
                + [account_arn("fis", r, "experiment/*") for r in regions],
                conditions={"StringEquals": {"aws:ResourceTag/Environment": n.suffix}},
            ),
            iam.PolicyStatement(
                actions=["fis:GetExperiment", "fis:StopExperiment"],
                resources=[account_arn("fis", r, "experiment/*") for r in regions],
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[
                    f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{n.name(f'fis-{side}')}"
                    for side in ("primary", "dr")
                ],
                conditions={"StringEquals": {"iam:PassedToService": "fis.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                actions=["apigateway:GET", "apigateway:PATCH"],
                resources=[f"arn:{Aws.PARTITION}:apigateway:{r}::/restapis/*/stages/*" for r in regions],
            ),
            # The producer's SigV4-signed batches: execute-api ARNs are
            # arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>
            # (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html);
            # the API ids live in the services stacks, so the id and stage are wildcards, the method
            # and path are the ingest contract's only route.
            iam.PolicyStatement(
                actions=["execute-api:Invoke"],
                resources=[account_arn("execute-api", r, f"*/*/POST{ingest.PATH}") for r in regions],
            ),
        ]

    def grant(self, grantee: iam.IGrantable) -> None:
        """Add every statement to ``grantee``'s policy."""
        for statement in self.statements():
            grantee.grant_principal.add_to_principal_policy(statement)


def secret_grant_arn(secret: sm.ISecret, existing: ExistingSecret) -> str:
    """The ARN to grant on: a secret imported by name has a partial ARN, and Secrets Manager appends
    six random characters to every secret's ARN, hence ``-??????``."""
    return secret.secret_arn if existing.is_arn else f"{secret.secret_arn}-??????"
