"""Firehose delivery that archives the region's Kinesis stream into its raw-event bucket.

Reads the stream (itself KMS-encrypted), writes GZIP batches under ``raw/`` encrypted with the PHI
key, logs delivery errors to an encrypted group. Separate from the bucket because on the DR side the
bucket lives in the foundation stack and the stream in the services stack.

Firehose reads a Kinesis source as a classic (shared-throughput) consumer: it polls ``GetRecords``
about once a second per shard (https://docs.aws.amazon.com/firehose/latest/dev/writing-with-kinesis-streams.html)
and registers no enhanced fan-out consumer. It therefore shares each shard's read limits, 5
``GetRecords`` calls/s and 2 MiB/s (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html),
with the processors: one delivery stream per Kinesis stream leaves 4 calls/s a shard for the one
processor task that holds the shard's lease, and every shard is read twice (Firehose + lease holder),
at most 2 x its write rate. tests/cdk_app/test_stream_read_budget.py checks both on the templates.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.naming import Naming

#: GetRecords calls Firehose makes per shard and second (documented above), and Kinesis' per-shard
#: read limits shared by all classic consumers.
FIREHOSE_GETRECORDS_PER_SHARD_PER_S = 1
SHARD_GETRECORDS_PER_S = 5
SHARD_READ_BYTES_PER_S = 2 * 1_048_576


class ArchiveDelivery(Construct):
    """Kinesis stream → Firehose → S3 archive."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        bucket: s3.IBucket,
        stream_arn: str,
        data_key: kms.IKey,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        logs = EncryptedLogGroup(
            self, "DeliveryLogs", config=config, name=f"/htdr/{naming.suffix}/firehose-archive", key=logs_key
        )
        role = iam.Role(self, "DeliveryRole", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "kinesis:DescribeStream",
                    "kinesis:GetShardIterator",
                    "kinesis:GetRecords",
                    "kinesis:ListShards",
                ],
                resources=[stream_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:AbortMultipartUpload"], resources=[bucket.arn_for_objects("*")]
            )
        )
        data_key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")
        logs.log_group.grant_write(role)
        self.delivery = firehose.CfnDeliveryStream(
            self,
            "Delivery",
            delivery_stream_name=naming.name("raw-archive"),
            delivery_stream_type="KinesisStreamAsSource",
            kinesis_stream_source_configuration=firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty(
                kinesis_stream_arn=stream_arn, role_arn=role.role_arn
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket.bucket_arn,
                role_arn=role.role_arn,
                prefix="raw/",
                error_output_prefix="errors/",
                compression_format="GZIP",
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=60, size_in_m_bs=64
                ),
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=data_key.key_arn
                    )
                ),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True, log_group_name=logs.log_group.log_group_name, log_stream_name="delivery"
                ),
            ),
        )
        self.delivery.node.add_dependency(role)
