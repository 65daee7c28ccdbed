"""The Kinesis stream devices write into, encrypted with the PHI key and sized from the ingest load.

Provisioned mode with an explicit shard count (rather than on-demand) makes the capacity claim
checkable: each shard takes 1,000 records/s and 1 MiB/s, and the count covers the configured peak
times the headroom on both limits.
"""

from __future__ import annotations

import math

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.config import AppConfig, IngestSizing
from contracts.retention import STREAM_RETENTION_HOURS

SHARD_RECORDS_PER_SECOND = 1_000
SHARD_BYTES_PER_SECOND = 1_048_576


def shard_count_for(sizing: IngestSizing) -> int:
    """Shards needed for ``sizing`` with headroom, on whichever shard limit binds first."""
    records_per_second = sizing.events_per_minute / 60 * sizing.headroom
    bytes_per_second = records_per_second * sizing.avg_event_bytes
    return max(
        1,
        math.ceil(records_per_second / SHARD_RECORDS_PER_SECOND),
        math.ceil(bytes_per_second / SHARD_BYTES_PER_SECOND),
    )


class EventStream(Construct):
    """KMS-encrypted provisioned stream with seven days of retention for replay after a failover."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, name: str, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=name,
            shard_count=shard_count_for(config.sizing),
            stream_mode=kinesis.StreamMode.PROVISIONED,
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=key,
            retention_period=Duration.hours(STREAM_RETENTION_HOURS),
            removal_policy=config.removal_policy,
        )
