"""The processor rides out a lost cache and a lost database: it reconnects and loses nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis

from drills.pipeline.device_fleet import DeviceFleet
from drills.pipeline.processor import Processor
from tests.pipeline.conftest import CACHE_TOKEN, PRIMARY_REGION, processor_config, store_rows
from tests.pipeline.engines import MotoServer, Postgres, Valkey, wait_for
from tests.pipeline.test_processor import put_events, running

pytestmark = pytest.mark.sandbox


def last_seq(cache_port: int, device: str) -> int:
    client = redis.Redis(port=cache_port, password=CACHE_TOKEN, decode_responses=True)
    try:
        return int(client.hget(f"session:{device}", "last_seq") or -1)
    finally:
        client.close()


def test_cache_outage_does_not_stop_store_writes_and_sessions_resume(
    make_stream: Callable[..., str], moto: MotoServer, postgres: Postgres,
    store_db: str,
) -> None:
    stream, fleet = make_stream(), DeviceFleet(devices=10, seed=2)
    cache = Valkey(CACHE_TOKEN)
    try:
        cfg = processor_config(moto, cache, stream, postgres.port, store_db)
        target = [(stream, PRIMARY_REGION)]
        expected = put_events(moto, target, 0, 100, fleet)
        with running(Processor(cfg)) as processor:
            wait_for(lambda: last_seq(cache.port, "dev-000001") == 9, 30, "first sessions")
            cache.stop()
            expected |= put_events(moto, target, 100, 100, fleet)
            wait_for(lambda: processor.processed >= 200, 30, "store writes without the cache")
            cache = Valkey(CACHE_TOKEN, port=cache.port)  # back, empty, same endpoint
            expected |= put_events(moto, target, 200, 100, fleet)
            wait_for(lambda: last_seq(cache.port, "dev-000001") == 29, 30, "sessions after the outage")
        assert store_rows(postgres, store_db) == expected
    finally:
        cache.stop()


def test_database_restart_is_survived_without_loss(
    make_stream: Callable[..., str], moto: MotoServer, valkey: Valkey,
) -> None:
    stream, fleet = make_stream(), DeviceFleet(devices=10, seed=4)
    cluster = Postgres()
    try:
        cluster.create_database("store")
        cfg = processor_config(moto, valkey, stream, cluster.port, "store")
        target = [(stream, PRIMARY_REGION)]
        expected = put_events(moto, target, 0, 300, fleet)
        with running(Processor(cfg)) as processor:
            wait_for(lambda: processor.processed >= 300, 30, "first rows")
            cluster.halt()
            expected |= put_events(moto, target, 300, 300, fleet)
            cluster.start()
            wait_for(lambda: len(store_rows(cluster, "store")) >= 600, 60, "rows after the restart",
                     interval=0.5)
        assert store_rows(cluster, "store") == expected
    finally:
        cluster.stop()
