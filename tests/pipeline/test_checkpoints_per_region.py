"""Stream checkpoints belong to one region's stream, even though both regions' streams share a name.

The store (checkpoints included) replicates from the primary to the DR standby. If checkpoints were
keyed by stream name only, the promoted DR processor would resume its OWN stream after the PRIMARY
stream's sequence number and skip every DR record up to it: acknowledged, dual-written events lost.
"""

from __future__ import annotations

import time
import uuid

import pytest

from drills.pipeline.device_fleet import DeviceFleet
from drills.pipeline.processor import Processor
from tests.pipeline.conftest import DR_REGION, PRIMARY_REGION, aws, processor_config, store_rows
from tests.pipeline.engines import MotoServer, Postgres, Valkey, wait_for
from tests.pipeline.test_processor import put_events, running

pytestmark = pytest.mark.sandbox


def _same_named_streams(moto: MotoServer) -> str:
    """One stream name, created in both regions (as the CDK app names them)."""
    name = f"vitals-{uuid.uuid4().hex[:8]}"
    for region in (PRIMARY_REGION, DR_REGION):
        client = aws(moto, "kinesis", region)
        client.create_stream(StreamName=name, ShardCount=1)
        client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return name


def test_promoted_dr_processor_never_resumes_from_the_primary_streams_checkpoint(
    moto: MotoServer, postgres: Postgres, valkey: Valkey, store_db: str,
) -> None:
    stream = _same_named_streams(moto)
    fleet = DeviceFleet(devices=100, seed=23)
    standby = Postgres(primary=postgres)
    try:
        # The primary stream is ahead: events only it took, then dual-written ones.
        primary_only = put_events(moto, [(stream, PRIMARY_REGION)], 0, 600, fleet)
        both = put_events(moto, [(stream, PRIMARY_REGION), (stream, DR_REGION)], 600, 500, fleet)
        primary_cfg = processor_config(moto, valkey, stream, postgres.port, store_db)
        with running(Processor(primary_cfg)) as primary:
            wait_for(lambda: primary.processed >= len(primary_only) + len(both), 30, "primary processor")
        expected = primary_only | both
        wait_for(lambda: store_rows(standby, store_db) == expected, 30, "replication", interval=0.2)
        time.sleep(1.5)  # the DR-only events are newer than the newest stored one minus the margin
        dr_only = put_events(moto, [(stream, DR_REGION)], 1_100, 400, fleet)  # primary died before these
        standby.promote()
        dr_cfg = processor_config(moto, valkey, stream, standby.port, store_db,
                                  region=DR_REGION, replay_margin_s=1.0)
        with running(Processor(dr_cfg)):
            wait_for(lambda: set(dr_only) <= set(store_rows(standby, store_db)), 30,
                     "the DR-only events stored after promotion")
        assert store_rows(standby, store_db) == expected | dr_only
    finally:
        standby.stop()
