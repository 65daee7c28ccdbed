"""A CloudWatch log group encrypted with the region's logs key and kept for six years.

Six years is HIPAA §164.316(b)(2)(i)'s documentation retention; audit trails, access logs and flow logs
fall under it, and one retention for every group keeps the rule checkable.
"""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_app.config import AppConfig

RETENTION = logs.RetentionDays.SIX_YEARS


class EncryptedLogGroup(Construct):
    """Log group with KMS encryption, long retention and the environment's removal policy."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, name: str, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Group",
            log_group_name=name,
            encryption_key=key,
            retention=RETENTION,
            removal_policy=config.removal_policy,
        )
