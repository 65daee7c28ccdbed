"""The bucket that receives S3 server access logs of the region's buckets.

S3 log delivery only writes to buckets with S3-managed encryption, so this bucket uses SSE-S3 (the
one bucket that cannot use the customer key; acknowledged with that reason).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.data_classification import mark_internal
from cdk_app.naming import Naming

LOG_RETENTION_DAYS = 2_192  # six years, HIPAA §164.316(b)(2)(i)


class AccessLogBucket(Construct):
    """Versioned, SSL-only, private bucket for server access logs, kept six years; classified Internal."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, naming: Naming, region: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=naming.bucket("access-logs", region),
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(LOG_RETENTION_DAYS))],
            removal_policy=config.removal_policy,
            auto_delete_objects=not config.production,
        )
        mark_internal(self.bucket)  # request metadata, never object contents
