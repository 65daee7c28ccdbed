"""The raw-event archive: every event the stream carries, kept in S3 and replicated to the DR region.

The primary bucket replicates to the DR bucket with Replication Time Control (99.99 % of objects
within 15 minutes, with replication metrics for the lag alarm). Objects are encrypted with the PHI
key; the replica is re-encrypted with the DR replica of the same multi-Region key. A Firehose
delivery stream reads the Kinesis stream and writes compressed batches into the region's bucket.
Both buckets tier old objects down (lifecycle below); CloudTrail records every object-level access
(data events, AuditTrail).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_bucket import encrypted_bucket
from cdk_app.constructs.s3_replication import replication_configuration, replication_role
from cdk_app.naming import Naming

REPLICATION_RULE_ID = "raw-events-to-dr"
RTC_MINUTES = 15
#: Lifecycle of ~5 TB of raw events: hot for a month (replay after a failover reads recent days),
#: Standard-IA after 30 days (S3's minimum age for that transition), Glacier Instant Retrieval after 90
#: (still millisecond reads for an audit or a rebuild); current objects never expire here (the archive
#: is the replay source). Overwritten/deleted versions go after 90 days, incomplete uploads after 7.
#: Constraints: https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
INFREQUENT_ACCESS_AFTER_DAYS = 30
GLACIER_IR_AFTER_DAYS = 90
NONCURRENT_EXPIRY_DAYS = 90
ABORT_UPLOADS_AFTER_DAYS = 7


@dataclass(frozen=True)
class ReplicaTarget:
    """Where the archive replicates to: the DR bucket and the DR replica of the PHI key."""

    bucket_name: str
    key_arn: str


class RawArchive(Construct):
    """KMS-encrypted, versioned, SSL-only bucket; a replication source when ``replica`` is given."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        region: str,
        data_key: kms.IKey,
        access_logs: s3.IBucket,
        replica: ReplicaTarget | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = encrypted_bucket(
            self,
            "Bucket",
            config=config,
            name=naming.bucket("raw-archive", region),
            key=data_key,
            access_logs=access_logs,
            log_prefix="raw-archive/",
        )
        self.bucket.add_lifecycle_rule(
            id="raw-events-tiering",
            transitions=[
                s3.Transition(
                    storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                    transition_after=Duration.days(INFREQUENT_ACCESS_AFTER_DAYS),
                ),
                s3.Transition(
                    storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    transition_after=Duration.days(GLACIER_IR_AFTER_DAYS),
                ),
            ],
            noncurrent_version_expiration=Duration.days(NONCURRENT_EXPIRY_DAYS),
            abort_incomplete_multipart_upload_after=Duration.days(ABORT_UPLOADS_AFTER_DAYS),
        )
        if replica is not None:
            self._replicate(naming, region, data_key, replica)

    def _replicate(self, naming: Naming, region: str, data_key: kms.IKey, replica: ReplicaTarget) -> None:
        destination_arn = f"arn:{Aws.PARTITION}:s3:::{replica.bucket_name}"
        role = replication_role(
            self,
            role_name=naming.name(f"s3-replication-{region}"),
            source=self.bucket,
            source_key=data_key,
            destination_arn=destination_arn,
            replicate_actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[replica.key_arn])
        )
        cfn = self.bucket.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        cfn.replication_configuration = replication_configuration(
            role=role,
            rule_id=REPLICATION_RULE_ID,
            destination_arn=destination_arn,
            replica_key_id=replica.key_arn,
            replicate_delete_markers=True,
            rtc_minutes=RTC_MINUTES,
        )
