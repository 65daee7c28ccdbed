"""Per-shard read limits: Firehose is one classic consumer of each stream, leaving room for the one
processor task that holds each shard's lease (archive_delivery cites the limits)."""

from __future__ import annotations

import json

import pytest

from cdk_app.constructs.archive_delivery import (
    FIREHOSE_GETRECORDS_PER_SHARD_PER_S,
    SHARD_GETRECORDS_PER_S,
    SHARD_READ_BYTES_PER_S,
)
from cdk_app.constructs.event_stream import shard_count_for
from tests.cdk_app.conftest import Synthesized

#: Classic consumers of every shard: Firehose and the processor task holding the shard's lease.
READERS_PER_SHARD = 2


@pytest.mark.parametrize("stack", ["PrimaryServices", "DrServices"])
def test_firehose_is_the_only_other_classic_consumer_of_each_stream(
    synthesized: Synthesized, stack: str
) -> None:
    (stream_id,) = synthesized.resources("AWS::Kinesis::Stream", stack)
    deliveries = [
        d["Properties"]
        for d in synthesized.resources("AWS::KinesisFirehose::DeliveryStream", stack).values()
        if d["Properties"].get("DeliveryStreamType") == "KinesisStreamAsSource"
    ]
    assert len(deliveries) == 1
    assert stream_id in json.dumps(deliveries[0]["KinesisStreamSourceConfiguration"]["KinesisStreamARN"])
    # no enhanced fan-out consumer: every reader shares the shard's classic read limits
    assert not synthesized.resources("AWS::Kinesis::StreamConsumer", stack)
    processor_calls_left = SHARD_GETRECORDS_PER_S - len(deliveries) * FIREHOSE_GETRECORDS_PER_SHARD_PER_S
    assert processor_calls_left == 4  # for the single lease holder of each shard


def test_two_readers_fit_in_the_shard_read_bandwidth_at_the_sized_peak(synthesized: Synthesized) -> None:
    sizing = synthesized.config.sizing
    shards = shard_count_for(sizing)
    peak_write_per_shard = sizing.events_per_minute / 60 * sizing.headroom * sizing.avg_event_bytes / shards
    read_per_shard = READERS_PER_SHARD * peak_write_per_shard
    print(
        f"per shard at the sized peak: write {peak_write_per_shard / 1024:.0f} KiB/s, "
        f"read by {READERS_PER_SHARD} consumers {read_per_shard / 1024:.0f} KiB/s "
        f"of {SHARD_READ_BYTES_PER_S / 1024:.0f} KiB/s"
    )
    assert read_per_shard <= SHARD_READ_BYTES_PER_S
    for stack in ("PrimaryServices", "DrServices"):
        (stream,) = synthesized.resources("AWS::Kinesis::Stream", stack).values()
        assert stream["Properties"]["ShardCount"] == shards
