"""Multi-region CloudTrail: every management API call in every region, validated and encrypted.

Delivered to a dedicated KMS-encrypted, SSL-only bucket and to an encrypted log group (six years),
with log-file validation on so an auditor can prove the trail was not altered (§164.312(b), (c)(2)).
S3 data events (object reads and writes) are recorded on the PHI buckets of both regions.
"""

from __future__ import annotations

from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_bucket import encrypted_bucket
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.data_classification import mark_internal
from cdk_app.naming import Naming


class AuditTrail(Construct):
    """One trail for the deployment, created in the primary region."""

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
        phi_bucket_names: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = encrypted_bucket(
            self,
            "Bucket",
            config=config,
            name=naming.bucket("trail", region),
            key=logs_key,
            access_logs=access_logs,
            log_prefix="trail/",
        )
        mark_internal(self.bucket)  # API activity records: who did what, not patient data
        logs = EncryptedLogGroup(
            self, "Logs", config=config, name=f"/htdr/{naming.suffix}/cloudtrail", key=logs_key
        )
        self.trail = cloudtrail.Trail(
            self,
            "Trail",
            trail_name=naming.name("trail"),
            bucket=self.bucket,
            encryption_key=logs_key,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_file_validation=True,
            send_to_cloud_watch_logs=True,
            cloud_watch_log_group=logs.log_group,
            management_events=cloudtrail.ReadWriteType.ALL,
        )
        # object-level reads and writes of every PHI bucket, in both regions (the trail is multi-region):
        # who read which patient data, §164.312(b); data events are off unless selected
        # (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html)
        self.trail.add_s3_event_selector(
            [
                cloudtrail.S3EventSelector(bucket=s3.Bucket.from_bucket_name(self, f"Phi{index}", name))
                for index, name in enumerate(phi_bucket_names)
            ],
            read_write_type=cloudtrail.ReadWriteType.ALL,
            include_management_events=False,  # the trail's first selector already records them
        )
