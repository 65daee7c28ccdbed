"""The processor against real PostgreSQL (primary + standby), Valkey and moto (Kinesis, Secrets
Manager, CloudWatch): exact store contents vs the ledger, SIGKILL safety, standby promotion replay,
sessions and metrics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis

from contracts import processor_environment as penv
from drills.pipeline.config import ConfigError, ProcessorConfig
from drills.pipeline.device_fleet import DeviceFleet
from drills.pipeline.ledger import LedgerReader
from drills.pipeline.processor import Processor
from drills.pipeline.producer import Producer
from tests.pipeline.conftest import (
    CACHE_TOKEN,
    DR_REGION,
    PRIMARY_REGION,
    aws,
    processor_config,
    processor_environ,
    store_count,
    store_rows,
)
from tests.pipeline.engines import MotoServer, Postgres, Valkey, wait_for
from tests.pipeline.test_producer import config as producer_config

pytestmark = pytest.mark.sandbox


@contextmanager
def running(processor: Processor) -> Iterator[Processor]:
    stop = threading.Event()
    thread = threading.Thread(target=processor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield processor
    finally:
        stop.set()
        thread.join(20)
        assert not thread.is_alive()


def ledger_rows(path: Path) -> dict[int, int]:
    with LedgerReader(path) as ledger:
        return {e.event_key: e.digest for e in ledger.iter_acked()}


def put_events(moto: MotoServer, targets: list[tuple[str, str]], start: int, count: int,
               fleet: DeviceFleet | None = None) -> dict[int, int]:
    """Put fleet events straight on each (stream, region) of ``targets`` — two targets is a
    dual-write of identical events — as the API would; returns event_key -> digest."""
    fleet = fleet or DeviceFleet(devices=100, seed=11)
    expected: dict[int, int] = {}
    for offset in range(start, start + count, 500):
        batch = [fleet.event(i, time.time()) for i in range(offset, min(offset + 500, start + count))]
        records = [{"Data": json.dumps(e.payload).encode(), "PartitionKey": e.device_id} for e in batch]
        for stream, region in targets:
            aws(moto, "kinesis", region).put_records(StreamName=stream, Records=records)
        expected |= {e.event_key: e.digest for e in batch}
    return expected


def test_pipeline_end_to_end_store_equals_ledger_with_sessions_and_metrics(
    tmp_path: Path, make_stream: Callable[..., str], ingest_api: Any, moto: MotoServer,
    postgres: Postgres, valkey: Valkey, store_db: str,
) -> None:
    stream = make_stream(shards=2)
    url, _ = ingest_api(stream)
    pcfg = producer_config(tmp_path, [url], rate_per_min=12_000, duration_s=2.0, devices=30)
    Producer(pcfg).run(threading.Event())
    expected = ledger_rows(pcfg.ledger_path)
    cfg = processor_config(moto, valkey, stream, postgres.port, store_db,
                           metrics_namespace=f"Test/{store_db}")
    with running(Processor(cfg)) as processor:
        wait_for(lambda: processor.processed >= len(expected), 30, "processor catching up")
    assert store_rows(postgres, store_db) == expected  # same keys, same digests recomputed from the store

    cache = redis.Redis(port=valkey.port, password=CACHE_TOKEN, decode_responses=True)
    session = cache.hgetall("session:dev-000007")
    last_seq = max(k & 0xFFFFFFFF for k in expected if k >> 32 == 7)
    assert session["last_seq"] == str(last_seq) and session["region"] == PRIMARY_REGION
    assert set(session) == {"last_seq", "last_ts", "region"}  # no patient_ref, no vitals in the cache

    cloudwatch = aws(moto, "cloudwatch")
    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace=cfg.metrics_namespace)["Metrics"]}
    assert names == {"EventsProcessed", "EndToEndLatencyMs", "MillisBehindLatest"}
    stats = cloudwatch.get_metric_statistics(
        Namespace=cfg.metrics_namespace, MetricName="EventsProcessed", StartTime=time.time() - 600,
        EndTime=time.time() + 60, Period=3600, Statistics=["Sum"],
        Dimensions=[{"Name": "Region", "Value": PRIMARY_REGION}],
    )
    assert sum(p["Sum"] for p in stats["Datapoints"]) == len(expected)


def test_sigkill_mid_batch_then_restart_loses_and_duplicates_nothing(
    tmp_path: Path, make_stream: Callable[..., str], moto: MotoServer, postgres: Postgres,
    valkey: Valkey, store_db: str,
) -> None:
    stream = make_stream(shards=2)
    expected = put_events(moto, [(stream, PRIMARY_REGION)], 0, 12_000)
    cfg = processor_config(moto, valkey, stream, postgres.port, store_db, batch_size=200, lease_ttl_s=2.0)
    argv = [sys.executable, "-m", "drills.pipeline.processor"]
    env = processor_environ(cfg, moto)  # the restart is another task: it takes the shards on lease expiry

    first = subprocess.Popen(argv, stderr=subprocess.DEVNULL, env=env)
    wait_for(lambda: store_count(postgres, store_db) >= 2_000, 60, "first rows", interval=0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    partial = store_count(postgres, store_db)
    assert 0 < partial < len(expected)

    more = put_events(moto, [(stream, PRIMARY_REGION)], 12_000, 1_000)  # the stream grows meanwhile
    second = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=processor_environ(cfg, moto))
    try:
        total = len(expected) + len(more)
        wait_for(lambda: store_count(postgres, store_db) >= total, 120, "catch-up", interval=0.5)
        second.send_signal(signal.SIGTERM)
        _, log = second.communicate(timeout=20)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0
    assert "from checkpoint" in log and Postgres.PASSWORD not in log
    assert store_rows(postgres, store_db) == expected | more


def test_standby_idles_then_replays_dual_written_events_after_promotion(
    make_stream: Callable[..., str], moto: MotoServer, postgres: Postgres, valkey: Valkey,
    store_db: str,
) -> None:
    """The DR processor waits on a standby; after promotion its stream has no checkpoint, so it
    replays from the newest replicated event minus the margin: it recovers what the primary never
    stored, and does not re-read the stream's distant past."""
    primary_stream, dr_stream = make_stream(), make_stream(region=DR_REGION)
    fleet = DeviceFleet(devices=100, seed=5)
    old = put_events(moto, [(dr_stream, DR_REGION)], 0, 200, fleet)  # long before the margin
    time.sleep(2.0)
    standby = Postgres(primary=postgres)
    try:
        dr_cfg = processor_config(moto, valkey, dr_stream, standby.port, store_db,
                                  region=DR_REGION, replay_margin_s=1.0)
        with running(Processor(dr_cfg)) as dr:
            both = put_events(moto, [(primary_stream, PRIMARY_REGION), (dr_stream, DR_REGION)], 200, 1_000,
                              fleet)
            primary_cfg = processor_config(moto, valkey, primary_stream,
                                           postgres.port, store_db)
            with running(Processor(primary_cfg)) as primary:
                wait_for(lambda: primary.processed >= len(both), 30, "primary processor")
            wait_for(lambda: store_count(standby, store_db) == len(both), 30, "replication", interval=0.2)
            assert store_rows(standby, store_db) == both
            assert dr.processed == 0
            lost = put_events(moto, [(dr_stream, DR_REGION)], 1_200, 300, fleet)  # only the DR side got these
            standby.promote()
            wait_for(lambda: dr.processed >= len(lost), 30, "DR processor after promotion")
            time.sleep(0.5)
        rows = store_rows(standby, store_db)
        assert rows == both | lost
        assert not set(old) & set(rows)
    finally:
        standby.stop()


def test_processor_config_from_a_bad_environment_is_one_line_naming_the_variable() -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HTDR_")}
    done = subprocess.run([sys.executable, "-m", "drills.pipeline.processor"], env=base,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    message = done.stderr.strip()
    assert message.startswith("processor: environment: HTDR_REGION, ") and "\n" not in message
    with pytest.raises(ConfigError, match="HTDR_DB_PORT"):
        ProcessorConfig.from_environ({**_COMPLETE, penv.DB_PORT: "not-a-port"})
    with pytest.raises(ConfigError) as refused:
        ProcessorConfig.from_environ({**_COMPLETE, penv.CACHE_TLS: "maybe"})
    assert "HTDR_CACHE_TLS" in str(refused.value) and "s3cr3t" not in str(refused.value)


_COMPLETE = {
    penv.REGION: "ca-central-1", penv.STREAM_NAME: "s", penv.DB_HOST: "db", penv.DB_PORT: "5432",
    penv.DB_NAME: "d", penv.DB_USERNAME: "u", penv.DB_PASSWORD: "s3cr3t", penv.CACHE_HOST: "c",
    penv.CACHE_PORT: "6379", penv.CACHE_AUTH_TOKEN: "s3cr3t-token",
}


def test_processor_config_round_trips_through_the_environment_and_hides_credentials() -> None:
    config = ProcessorConfig.from_environ(_COMPLETE)
    assert config.db_port == 5432 and config.cache_tls is True and config.db_sslmode == "require"
    again = ProcessorConfig.from_environ(config.to_environ())
    assert again == config
    assert "s3cr3t" not in repr(config) and "s3cr3t" not in config.model_dump_json()
