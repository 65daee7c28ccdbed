"""Customer-managed KMS keys of one region, one per data class.

``data`` protects PHI (stream, archive, Aurora, EFS, cache, backups). It is a multi-Region key: the DR
region holds a replica with the same key id and key material, so data replicated across regions stays
under one key whose rotation status the replica shares. ``logs`` protects audit and operational logs,
alarm topics and evidence; it never leaves its region, so it is an ordinary regional key.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.arns import account_arn
from cdk_app.config import AppConfig
from cdk_app.constructs.rotating_key import rotating_key
from cdk_app.naming import Naming

_LOG_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


def _root_admin_policy() -> iam.PolicyDocument:
    """The account root administers the key so IAM policies (least privilege, per role) decide use."""
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="AccountAdministersKeyThroughIam",
                principals=[iam.AccountRootPrincipal()],
                actions=["kms:*"],
                resources=["*"],
            )
        ]
    )


class RegionKeys(Construct):
    """The ``data`` (multi-Region primary or replica) and ``logs`` keys of a region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        primary_data_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.data_key_arn, self.data_key_id = self._data_key(config, naming, primary_data_key_arn)
        self.data_key: kms.IKey = kms.Key.from_key_arn(self, "DataKeyRef", self.data_key_arn)
        self.logs_key = self._logs_key(config, naming)

    def data_key_arn_in(self, region: str) -> str:
        """The data key's ARN in ``region``: a multi-Region replica keeps the primary's key id, so the
        ARN is rebuilt from it rather than exported across regions."""
        return account_arn("kms", region, f"key/{self.data_key_id}")

    def _data_key(self, config: AppConfig, naming: Naming, primary_arn: str | None) -> tuple[str, str]:
        description = f"PHI data key ({naming.suffix})"
        key: kms.CfnKey | kms.CfnReplicaKey
        if primary_arn is None:
            key = kms.CfnKey(
                self,
                "DataKey",
                description=description,
                enable_key_rotation=True,
                multi_region=True,
                pending_window_in_days=7,
                key_policy=_root_admin_policy(),
            )
        else:
            key = kms.CfnReplicaKey(
                self,
                "DataKey",
                description=description,
                primary_key_arn=primary_arn,
                pending_window_in_days=7,
                key_policy=_root_admin_policy(),
            )
        key.cfn_options.deletion_policy = config.cfn_deletion_policy
        key.cfn_options.update_replace_policy = config.cfn_deletion_policy
        kms.CfnAlias(self, "DataKeyAlias", alias_name=naming.alias("data"), target_key_id=key.attr_key_id)
        return key.attr_arn, key.attr_key_id

    def _logs_key(self, config: AppConfig, naming: Naming) -> kms.Key:
        key = rotating_key(
            self,
            "LogsKey",
            config=config,
            alias=naming.alias("logs"),
            description=f"Audit and operational log key ({naming.suffix})",
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=_LOG_ACTIONS,
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"
                        )
                    }
                },
            )
        )
        # CloudTrail calls DescribeKey without an encryption context, so a statement that conditions it
        # on one never matches and the trail cannot use the key; only GenerateDataKey* carries the
        # trail's context (REFERENCE.md "AWS constraints"; the key policy CloudTrail documents:
        # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailDescribesTheKey",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:DescribeKey"],
                resources=["*"],
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailOfThisAccount",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{Aws.PARTITION}:cloudtrail:*:{Aws.ACCOUNT_ID}:trail/*"
                        )
                    }
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsAndEventsPublishToEncryptedTopics",
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        return key
